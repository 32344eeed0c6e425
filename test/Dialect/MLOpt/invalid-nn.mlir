// Diagnostics of the layer ops: linear, matmuls, softmax, reductions, embedding, layer_norm, tap, mode_select, dropout.
// RUN: mlopt-opt %s -split-input-file -verify-diagnostics

func.func @linear_input_rank(%x: tensor<f32>, %w: tensor<4x1xf32>) {
  // expected-error @+2 {{input must have rank >= 1, got 'tensor<f32>'}}
  // expected-error @+1 {{'mlopt.linear' op failed to infer returned types}}
  %0 = mlopt.linear %x, %w : (tensor<f32>, tensor<4x1xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<2x8xf32>, %w: tensor<8xf32>) {
  // expected-error @+2 {{weight must be [out, in], got 'tensor<8xf32>'}}
  // expected-error @+1 {{'mlopt.linear' op failed to infer returned types}}
  %0 = mlopt.linear %x, %w : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @linear_weight_element(%x: tensor<2x8xf32>, %w: tensor<4x8xbf16>) {
  // expected-error @+2 {{weight has element type 'bf16', expected 'f32'}}
  // expected-error @+1 {{'mlopt.linear' op failed to infer returned types}}
  %0 = mlopt.linear %x, %w : (tensor<2x8xf32>, tensor<4x8xbf16>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_in_features(%x: tensor<2x8xf32>, %w: tensor<8x4xf32>) {
  // The weight is [out, in] (PyTorch's layout), not [in, out].
  // expected-error @+2 {{weight 'tensor<8x4xf32>' does not take inputs of size 8}}
  // expected-error @+1 {{'mlopt.linear' op failed to infer returned types}}
  %0 = mlopt.linear %x, %w : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_bias_element(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xf64>) {
  // expected-error @+2 {{bias has element type 'f64', expected 'f32'}}
  // expected-error @+1 {{'mlopt.linear' op failed to infer returned types}}
  %0 = mlopt.linear %x, %w, %b : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf64>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_bias_shape(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<1x4xf32>) {
  // expected-error @+2 {{bias must be [4], got 'tensor<1x4xf32>'}}
  // expected-error @+1 {{'mlopt.linear' op failed to infer returned types}}
  %0 = mlopt.linear %x, %w, %b : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_wrong_result(%x: tensor<3x2x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+2 {{'mlopt.linear' op inferred type(s) 'tensor<3x2x4xf32>' are incompatible with return type(s) of operation 'tensor<6x4xf32>'}}
  // expected-error @+1 {{'mlopt.linear' op failed to infer returned types}}
  %0 = mlopt.linear %x, %w : (tensor<3x2x8xf32>, tensor<4x8xf32>) -> tensor<6x4xf32>
  return
}

// -----

func.func @linear_int(%x: tensor<2x8xi32>, %w: tensor<4x8xi32>) {
  // expected-error @+1 {{'mlopt.linear' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<2x8xi32>'}}
  %0 = mlopt.linear %x, %w : (tensor<2x8xi32>, tensor<4x8xi32>) -> tensor<2x4xi32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<2x4x8xf32>, %b: tensor<8x16xf32>) {
  // expected-error @+2 {{operands must be matrices, got 'tensor<2x4x8xf32>' and 'tensor<8x16xf32>'}}
  // expected-error @+1 {{'mlopt.matmul' op failed to infer returned types}}
  %0 = mlopt.matmul %a, %b : (tensor<2x4x8xf32>, tensor<8x16xf32>) -> tensor<2x4x16xf32>
  return
}

// -----

func.func @matmul_element(%a: tensor<4x8xf32>, %b: tensor<8x16xf16>) {
  // expected-error @+2 {{rhs has element type 'f16', expected 'f32'}}
  // expected-error @+1 {{'mlopt.matmul' op failed to infer returned types}}
  %0 = mlopt.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @matmul_contraction(%a: tensor<4x8xf32>, %b: tensor<16x8xf32>) {
  // expected-error @+2 {{contraction sizes differ: 'tensor<4x8xf32>' and 'tensor<16x8xf32>'}}
  // expected-error @+1 {{'mlopt.matmul' op failed to infer returned types}}
  %0 = mlopt.matmul %a, %b : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @batch_matmul_rank(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) {
  // expected-error @+2 {{operands must have the same rank >= 3, got 'tensor<4x8xf32>' and 'tensor<8x16xf32>'}}
  // expected-error @+1 {{'mlopt.batch_matmul' op failed to infer returned types}}
  %0 = mlopt.batch_matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return
}

// -----

func.func @batch_matmul_rank_mismatch(%a: tensor<2x4x8xf32>, %b: tensor<1x2x8x16xf32>) {
  // expected-error @+2 {{operands must have the same rank >= 3, got 'tensor<2x4x8xf32>' and 'tensor<1x2x8x16xf32>'}}
  // expected-error @+1 {{'mlopt.batch_matmul' op failed to infer returned types}}
  %0 = mlopt.batch_matmul %a, %b : (tensor<2x4x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x4x16xf32>
  return
}

// -----

func.func @batch_matmul_element(%a: tensor<2x4x8xf64>, %b: tensor<2x8x16xf32>) {
  // expected-error @+2 {{rhs has element type 'f32', expected 'f64'}}
  // expected-error @+1 {{'mlopt.batch_matmul' op failed to infer returned types}}
  %0 = mlopt.batch_matmul %a, %b : (tensor<2x4x8xf64>, tensor<2x8x16xf32>) -> tensor<2x4x16xf64>
  return
}

// -----

func.func @batch_matmul_batch(%a: tensor<2x4x8xf32>, %b: tensor<3x8x16xf32>) {
  // expected-error @+2 {{batch dimensions differ: 'tensor<2x4x8xf32>' and 'tensor<3x8x16xf32>'}}
  // expected-error @+1 {{'mlopt.batch_matmul' op failed to infer returned types}}
  %0 = mlopt.batch_matmul %a, %b : (tensor<2x4x8xf32>, tensor<3x8x16xf32>) -> tensor<2x4x16xf32>
  return
}

// -----

func.func @batch_matmul_contraction(%a: tensor<2x4x8xf32>, %b: tensor<2x4x16xf32>) {
  // expected-error @+2 {{contraction sizes differ: 'tensor<2x4x8xf32>' and 'tensor<2x4x16xf32>'}}
  // expected-error @+1 {{'mlopt.batch_matmul' op failed to infer returned types}}
  %0 = mlopt.batch_matmul %a, %b : (tensor<2x4x8xf32>, tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  return
}

// -----

func.func @softmax_dim(%x: tensor<4x10xf32>) {
  // expected-error @+1 {{'mlopt.softmax' op dimension 2 is out of range for rank 2}}
  %0 = mlopt.softmax %x dim = 2 : tensor<4x10xf32>
  return
}

// -----

func.func @log_softmax_dim(%x: tensor<4x10xf32>) {
  // expected-error @+1 {{'mlopt.log_softmax' op dimension -3 is out of range for rank 2}}
  %0 = mlopt.log_softmax %x dim = -3 : tensor<4x10xf32>
  return
}

// -----

func.func @softmax_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{'mlopt.softmax' op dimension 0 is out of range for rank 0}}
  %0 = mlopt.softmax %x dim = 0 : tensor<f32>
  return
}

// -----

func.func @sum_no_dims(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{needs at least one dimension to reduce}}
  // expected-error @+1 {{'mlopt.sum' op failed to infer returned types}}
  %0 = mlopt.sum %x dims = [] : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @mean_dim_range(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{dimension 2 is out of range for rank 2}}
  // expected-error @+1 {{'mlopt.mean' op failed to infer returned types}}
  %0 = mlopt.mean %x dims = [2] : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @max_dim_repeated(%x: tensor<4x8xf32>) {
  // -1 and 1 name the same dimension of a rank-2 tensor.
  // expected-error @+2 {{dimension -1 is repeated}}
  // expected-error @+1 {{'mlopt.max' op failed to infer returned types}}
  %0 = mlopt.max %x dims = [1, -1] : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @sum_keepdim_result(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{'mlopt.sum' op inferred type(s) 'tensor<4x1xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error @+1 {{'mlopt.sum' op failed to infer returned types}}
  %0 = mlopt.sum %x dims = [1] keepdim : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @argmax_dim(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{dimension -3 is out of range for rank 2}}
  // expected-error @+1 {{'mlopt.argmax' op failed to infer returned types}}
  %0 = mlopt.argmax %x dim = -3 : tensor<4x8xf32> -> tensor<4xi64>
  return
}

// -----

func.func @argmax_result_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'mlopt.argmax' op result #0 must be statically shaped tensor of 64-bit signless integer values, but got 'tensor<4xi32>'}}
  %0 = mlopt.argmax %x dim = 1 : tensor<4x8xf32> -> tensor<4xi32>
  return
}

// -----

func.func @embedding_weight(%i: tensor<8xi64>, %w: tensor<100xf32>) {
  // expected-error @+2 {{weight must be [num_embeddings, dim], got 'tensor<100xf32>'}}
  // expected-error @+1 {{'mlopt.embedding' op failed to infer returned types}}
  %0 = mlopt.embedding %i, %w : (tensor<8xi64>, tensor<100xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @embedding_float_indices(%i: tensor<8xf32>, %w: tensor<100x4xf32>) {
  // expected-error @+1 {{'mlopt.embedding' op operand #0 must be statically shaped tensor of 8-bit signless integer or 16-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<8xf32>'}}
  %0 = mlopt.embedding %i, %w : (tensor<8xf32>, tensor<100x4xf32>) -> tensor<8x4xf32>
  return
}

// -----

func.func @one_hot_rank(%y: tensor<8xi32>) {
  // expected-error @+1 {{'mlopt.one_hot' op result 'tensor<8xf32>' must be the indices' shape 'tensor<8xi32>' plus a trailing class dimension}}
  %0 = mlopt.one_hot %y : tensor<8xi32> -> tensor<8xf32>
  return
}

// -----

func.func @one_hot_shape(%y: tensor<8xi32>) {
  // expected-error @+1 {{'mlopt.one_hot' op result 'tensor<4x10xf32>' must be the indices' shape 'tensor<8xi32>' plus a trailing class dimension}}
  %0 = mlopt.one_hot %y : tensor<8xi32> -> tensor<4x10xf32>
  return
}

// -----

func.func @one_hot_int_result(%y: tensor<8xi32>) {
  // expected-error @+1 {{'mlopt.one_hot' op result #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<8x10xi32>'}}
  %0 = mlopt.one_hot %y : tensor<8xi32> -> tensor<8x10xi32>
  return
}

// -----

func.func @embedding_grad_count(%i: tensor<8xi64>, %g: tensor<8x4xf32>) {
  // expected-error @+2 {{num_embeddings must be >= 1, got 0}}
  // expected-error @+1 {{'mlopt.embedding_grad' op failed to infer returned types}}
  %0 = mlopt.embedding_grad %i, %g num_embeddings = 0 : (tensor<8xi64>, tensor<8x4xf32>) -> tensor<0x4xf32>
  return
}

// -----

func.func @embedding_grad_shape(%i: tensor<8xi64>, %g: tensor<4x4xf32>) {
  // expected-error @+2 {{grad 'tensor<4x4xf32>' must be the indices' shape 'tensor<8xi64>' plus a trailing embedding dimension}}
  // expected-error @+1 {{'mlopt.embedding_grad' op failed to infer returned types}}
  %0 = mlopt.embedding_grad %i, %g num_embeddings = 10 : (tensor<8xi64>, tensor<4x4xf32>) -> tensor<10x4xf32>
  return
}

// -----

func.func @layer_norm_rank_zero(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{normalized_rank 0 must be in [1, 2]}}
  // expected-error @+1 {{'mlopt.layer_norm' op failed to infer returned types}}
  %0 = mlopt.layer_norm %x {normalized_rank = 0} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @layer_norm_rank_large(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{normalized_rank 3 must be in [1, 2]}}
  // expected-error @+1 {{'mlopt.layer_norm' op failed to infer returned types}}
  %0 = mlopt.layer_norm %x {normalized_rank = 3} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @layer_norm_eps(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{eps must be positive}}
  // expected-error @+1 {{'mlopt.layer_norm' op failed to infer returned types}}
  %0 = mlopt.layer_norm %x {eps = 0.0 : f64} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @layer_norm_weight_element(%x: tensor<4x8xf32>, %g: tensor<8xf16>) {
  // expected-error @+2 {{weight has element type 'f16', expected 'f32'}}
  // expected-error @+1 {{'mlopt.layer_norm' op failed to infer returned types}}
  %0 = mlopt.layer_norm %x weight %g : (tensor<4x8xf32>, tensor<8xf16>) -> tensor<4x8xf32>
  return
}

// -----

func.func @layer_norm_weight_shape(%x: tensor<4x8xf32>, %g: tensor<4x8xf32>) {
  // expected-error @+2 {{weight of type 'tensor<4x8xf32>' must have the normalized shape [8]}}
  // expected-error @+1 {{'mlopt.layer_norm' op failed to infer returned types}}
  %0 = mlopt.layer_norm %x weight %g : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @layer_norm_bias_shape(%x: tensor<2x4x8xf32>, %g: tensor<4x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+2 {{bias of type 'tensor<8xf32>' must have the normalized shape [4, 8]}}
  // expected-error @+1 {{'mlopt.layer_norm' op failed to infer returned types}}
  %0 = mlopt.layer_norm %x weight %g bias %b {normalized_rank = 2} : (tensor<2x4x8xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

func.func @dropout_p_one(%x: tensor<4xf32>, %seed: tensor<i64>) {
  // expected-error @+1 {{'mlopt.dropout' op probability p = 1.000000e+00 must be in [0, 1)}}
  %0 = mlopt.dropout %x, %seed p = 1.0 : tensor<4xf32>
  return
}

// -----

func.func @dropout_p_negative(%x: tensor<4xf32>, %seed: tensor<i64>) {
  // expected-error @+1 {{'mlopt.dropout' op probability p = -5.000000e-01 must be in [0, 1)}}
  %0 = mlopt.dropout %x, %seed p = -0.5 : tensor<4xf32>
  return
}

// -----

func.func @dropout_seed(%x: tensor<4xf32>, %seed: tensor<1xi64>) {
  // expected-error @+1 {{'mlopt.dropout' op operand #1 must be 0D tensor of 64-bit signless integer values, but got 'tensor<1xi64>'}}
  %0 = "mlopt.dropout"(%x, %seed) <{p = 0.5 : f64, stream = 0 : i64}> : (tensor<4xf32>, tensor<1xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @dropout_result(%x: tensor<4xf32>, %seed: tensor<i64>) {
  // expected-error @+1 {{'mlopt.dropout' op failed to verify that all of {input, result} have same type}}
  %0 = "mlopt.dropout"(%x, %seed) <{p = 0.5 : f64, stream = 0 : i64}> : (tensor<4xf32>, tensor<i64>) -> tensor<4xf16>
  return
}

// -----

func.func @tap_empty_name(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.tap' op needs a non-empty name}}
  %0 = mlopt.tap "" %x : tensor<4xf32>
  return
}

// -----

func.func @tap_result(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.tap' op requires the same type for all operands and results}}
  %0 = "mlopt.tap"(%x) <{name = "h"}> : (tensor<4xf32>) -> tensor<4xf16>
  return
}

// -----

func.func @mode_select_types(%t: tensor<f32>, %e: tensor<f64>) {
  // expected-error @+1 {{'mlopt.mode_select' op failed to verify that all of {training, evaluation, result} have same type}}
  %0 = "mlopt.mode_select"(%t, %e) : (tensor<f32>, tensor<f64>) -> tensor<f32>
  return
}
