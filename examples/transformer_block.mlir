// transformer_block.mlir - one pre-norm Transformer encoder block.
//
// d_model 256, 4 heads of 64, FFN 1024 with GELU, sequence 128, batch 16,
// regressed onto a target with MSE. PyTorch equivalent:
//
//   class Block(nn.Module):
//     def __init__(self):
//       super().__init__()
//       self.ln1 = nn.LayerNorm(256)
//       self.attn = Attention()  # q_proj, k_proj, v_proj, out_proj:
//                                # nn.Linear(256, 256) each
//       self.ln2 = nn.LayerNorm(256)
//       self.ffn = nn.Sequential(OrderedDict(
//           fc1=nn.Linear(256, 1024), act=nn.GELU(), fc2=nn.Linear(1024, 256)))
//     def forward(self, x):                  # x: [16, 128, 256]
//       h = x + self.attn(self.ln1(x))
//       return h + self.ffn(self.ln2(h))
//
//   Attention.forward(x):
//     q, k, v = (p(x).view(16, 128, 4, 64).transpose(1, 2)
//                for p in (q_proj, k_proj, v_proj))
//     scores = (q @ k.transpose(-2, -1)) * (1 / 8)   # 1 / sqrt(head_dim)
//     ctx = scores.softmax(-1) @ v
//     return out_proj(ctx.transpose(1, 2).reshape(16, 128, 256))
//
//   loss = F.mse_loss(Block()(x), target)
//
// Linear layers keep nn.Linear's default initializers, layer norms start at
// weight 1 and bias 0, as in PyTorch.

mlopt.state @ln1.weight : tensor<256xf32> parameter trainable init #mlopt.ones
mlopt.state @ln1.bias : tensor<256xf32> parameter trainable init #mlopt.zeros
mlopt.state @attn.q_proj.weight : tensor<256x256xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @attn.q_proj.bias : tensor<256xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 256>
mlopt.state @attn.k_proj.weight : tensor<256x256xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @attn.k_proj.bias : tensor<256xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 256>
mlopt.state @attn.v_proj.weight : tensor<256x256xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @attn.v_proj.bias : tensor<256xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 256>
mlopt.state @attn.out_proj.weight : tensor<256x256xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @attn.out_proj.bias : tensor<256xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 256>
mlopt.state @ln2.weight : tensor<256xf32> parameter trainable init #mlopt.ones
mlopt.state @ln2.bias : tensor<256xf32> parameter trainable init #mlopt.zeros
mlopt.state @ffn.fc1.weight : tensor<1024x256xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @ffn.fc1.bias : tensor<1024xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 256>
mlopt.state @ffn.fc2.weight : tensor<256x1024xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @ffn.fc2.bias : tensor<256xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 1024>

func.func @loss(%x: tensor<16x128x256xf32> {mlopt.input},
                %target: tensor<16x128x256xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  // ln1
  %ln1_w = mlopt.state_read @ln1.weight : tensor<256xf32>
  %ln1_b = mlopt.state_read @ln1.bias : tensor<256xf32>
  %xn = mlopt.layer_norm %x weight %ln1_w bias %ln1_b
      : (tensor<16x128x256xf32>, tensor<256xf32>, tensor<256xf32>)
      -> tensor<16x128x256xf32>

  // Projections, split into heads: [16, 128, 256] -> [16, 4, 128, 64].
  %q_w = mlopt.state_read @attn.q_proj.weight : tensor<256x256xf32>
  %q_b = mlopt.state_read @attn.q_proj.bias : tensor<256xf32>
  %k_w = mlopt.state_read @attn.k_proj.weight : tensor<256x256xf32>
  %k_b = mlopt.state_read @attn.k_proj.bias : tensor<256xf32>
  %v_w = mlopt.state_read @attn.v_proj.weight : tensor<256x256xf32>
  %v_b = mlopt.state_read @attn.v_proj.bias : tensor<256xf32>
  %q = mlopt.linear %xn, %q_w, %q_b
      : (tensor<16x128x256xf32>, tensor<256x256xf32>, tensor<256xf32>)
      -> tensor<16x128x256xf32>
  %k = mlopt.linear %xn, %k_w, %k_b
      : (tensor<16x128x256xf32>, tensor<256x256xf32>, tensor<256xf32>)
      -> tensor<16x128x256xf32>
  %v = mlopt.linear %xn, %v_w, %v_b
      : (tensor<16x128x256xf32>, tensor<256x256xf32>, tensor<256xf32>)
      -> tensor<16x128x256xf32>
  %q4 = mlopt.reshape %q : tensor<16x128x256xf32> to tensor<16x128x4x64xf32>
  %k4 = mlopt.reshape %k : tensor<16x128x256xf32> to tensor<16x128x4x64xf32>
  %v4 = mlopt.reshape %v : tensor<16x128x256xf32> to tensor<16x128x4x64xf32>
  %qh = mlopt.transpose %q4, [0, 2, 1, 3]
      : tensor<16x128x4x64xf32> -> tensor<16x4x128x64xf32>
  // k^T per head, [16, 4, 64, 128], in one permutation.
  %kt = mlopt.transpose %k4, [0, 2, 3, 1]
      : tensor<16x128x4x64xf32> -> tensor<16x4x64x128xf32>
  %vh = mlopt.transpose %v4, [0, 2, 1, 3]
      : tensor<16x128x4x64xf32> -> tensor<16x4x128x64xf32>

  // Scaled dot-product attention.
  %raw = mlopt.batch_matmul %qh, %kt
      : (tensor<16x4x128x64xf32>, tensor<16x4x64x128xf32>)
      -> tensor<16x4x128x128xf32>
  %scale = mlopt.constant dense<1.250000e-01> : tensor<f32>
  %scores = mlopt.mul %raw, %scale
      : (tensor<16x4x128x128xf32>, tensor<f32>) -> tensor<16x4x128x128xf32>
  %probs = mlopt.softmax %scores dim = -1 : tensor<16x4x128x128xf32>
  %ctx = mlopt.batch_matmul %probs, %vh
      : (tensor<16x4x128x128xf32>, tensor<16x4x128x64xf32>)
      -> tensor<16x4x128x64xf32>

  // Merge the heads and project.
  %ctx_t = mlopt.transpose %ctx, [0, 2, 1, 3]
      : tensor<16x4x128x64xf32> -> tensor<16x128x4x64xf32>
  %merged = mlopt.reshape %ctx_t
      : tensor<16x128x4x64xf32> to tensor<16x128x256xf32>
  %o_w = mlopt.state_read @attn.out_proj.weight : tensor<256x256xf32>
  %o_b = mlopt.state_read @attn.out_proj.bias : tensor<256xf32>
  %attn = mlopt.linear %merged, %o_w, %o_b
      : (tensor<16x128x256xf32>, tensor<256x256xf32>, tensor<256xf32>)
      -> tensor<16x128x256xf32>
  %h = mlopt.add %x, %attn : tensor<16x128x256xf32>

  // ln2 and the feed-forward network.
  %ln2_w = mlopt.state_read @ln2.weight : tensor<256xf32>
  %ln2_b = mlopt.state_read @ln2.bias : tensor<256xf32>
  %hn = mlopt.layer_norm %h weight %ln2_w bias %ln2_b
      : (tensor<16x128x256xf32>, tensor<256xf32>, tensor<256xf32>)
      -> tensor<16x128x256xf32>
  %fc1_w = mlopt.state_read @ffn.fc1.weight : tensor<1024x256xf32>
  %fc1_b = mlopt.state_read @ffn.fc1.bias : tensor<1024xf32>
  %fc2_w = mlopt.state_read @ffn.fc2.weight : tensor<256x1024xf32>
  %fc2_b = mlopt.state_read @ffn.fc2.bias : tensor<256xf32>
  %up = mlopt.linear %hn, %fc1_w, %fc1_b
      : (tensor<16x128x256xf32>, tensor<1024x256xf32>, tensor<1024xf32>)
      -> tensor<16x128x1024xf32>
  %act = mlopt.gelu %up : tensor<16x128x1024xf32>
  %down = mlopt.linear %act, %fc2_w, %fc2_b
      : (tensor<16x128x1024xf32>, tensor<256x1024xf32>, tensor<256xf32>)
      -> tensor<16x128x256xf32>
  %out = mlopt.add %h, %down : tensor<16x128x256xf32>

  %loss = mlopt.mse_loss %out, %target
      : (tensor<16x128x256xf32>, tensor<16x128x256xf32>) -> tensor<f32>
  return %loss : tensor<f32>
}
