// RUN: mlopt-opt %s -split-input-file -verify-diagnostics

// The byte counts mlopt-allocs-to-globals records are integers >= 0 on
// functions.

// expected-error @+1 {{'mlopt.buffer_bytes' must be an integer >= 0}}
func.func @negative() attributes {mlopt.buffer_bytes = -1 : i64} {
  return
}

// -----

// expected-error @+1 {{'mlopt.temporary_bytes' must be an integer >= 0}}
func.func @text() attributes {mlopt.temporary_bytes = "64"} {
  return
}

// -----

func.func @op() {
  // expected-error @+1 {{'mlopt.buffer_bytes' only applies to functions}}
  %c = arith.constant {mlopt.buffer_bytes = 64 : i64} 0 : index
  return
}
