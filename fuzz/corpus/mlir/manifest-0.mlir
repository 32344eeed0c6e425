module attributes {mlopt.manifest = #mlopt.manifest<[
    <"fc.weight", parameter, tensor<10x784xf32>, trainable>,
    #mlopt.state_entry<"fc.bias", parameter, tensor<10xf32>, trainable>,
    <"running_mean", buffer, tensor<10xf32>>,
    <"fc.weight.mask", mask, tensor<10x784xi1>>,
    <"obs.min", observer, tensor<bf16>>,
    <"optimizer.fc.weight.exp_avg", optimizer_state, tensor<10x784xf32>>,
    <"loss_scale", loss_scale, tensor<f64>>,
    <"optimizer.step", step, tensor<i64>>,
    <"rng", rng, tensor<i64>>]>} {
}
