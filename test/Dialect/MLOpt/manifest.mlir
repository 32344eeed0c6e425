// Round trip of the state manifest (#mlopt.manifest, #mlopt.state_entry), in
// custom and generic form.
// RUN: mlopt-opt %s -split-input-file | mlopt-opt -split-input-file | FileCheck %s
// RUN: mlopt-opt %s -split-input-file --mlir-print-op-generic | mlopt-opt -split-input-file | FileCheck %s

// Entries print without the #mlopt.state_entry prefix inside a manifest; the
// `trainable` flag only when set.
// CHECK-LABEL: module attributes {mlopt.manifest = #mlopt.manifest<[<"fc.weight", parameter, tensor<10x784xf32>, trainable>, <"fc.bias", parameter, tensor<10xf32>, trainable>, <"running_mean", buffer, tensor<10xf32>>, <"fc.weight.mask", mask, tensor<10x784xi1>>, <"obs.min", observer, tensor<bf16>>, <"optimizer.fc.weight.exp_avg", optimizer_state, tensor<10x784xf32>>, <"loss_scale", loss_scale, tensor<f64>>, <"optimizer.step", step, tensor<i64>>, <"rng", rng, tensor<i64>>]>}
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

// -----

// An empty manifest (a model without state).
// CHECK-LABEL: module attributes {mlopt.manifest = #mlopt.manifest<[]>}
module attributes {mlopt.manifest = #mlopt.manifest<[]>} {
}

// -----

// Every supported element type; a state entry on its own, elsewhere.
// CHECK-LABEL: module attributes {mlopt.manifest = #mlopt.manifest<[<"a", buffer, tensor<2xf64>>, <"b", buffer, tensor<2xf16>>, <"c", buffer, tensor<2xi32>>, <"d", buffer, tensor<2xi8>>]>, test.entry = #mlopt.state_entry<"e", parameter, tensor<3x3xf16>, trainable>}
module attributes {mlopt.manifest = #mlopt.manifest<[<"a", buffer, tensor<2xf64>>, <"b", buffer, tensor<2xf16>>, <"c", buffer, tensor<2xi32>>, <"d", buffer, tensor<2xi8>>]>,
                   test.entry = #mlopt.state_entry<"e", parameter, tensor<3x3xf16>, trainable>} {
}

// -----

// While the states remain, the manifest lists exactly them, in order.
// CHECK-LABEL: module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<4x2xf32>, trainable>, <"m", mask, tensor<4x2xi1>>, <"step", step, tensor<i64>>]>}
// CHECK: mlopt.state @w
// CHECK: mlopt.state @m
// CHECK: mlopt.state @step
module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<4x2xf32>, trainable>, <"m", mask, tensor<4x2xi1>>, <"step", step, tensor<i64>>]>} {
  mlopt.state @w : tensor<4x2xf32> parameter trainable init #mlopt.zeros
  mlopt.state @m : tensor<4x2xi1> mask init #mlopt.ones
  mlopt.state @step : tensor<i64> step init #mlopt.zeros
}
