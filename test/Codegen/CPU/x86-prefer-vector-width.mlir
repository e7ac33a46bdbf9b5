// RUN: attn-opt %s --split-input-file --attn-x86-prefer-vector-width="vector-bits=512" | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-x86-prefer-vector-width="vector-bits=256" | FileCheck %s --check-prefix=AVX2
// RUN: not attn-opt %s --split-input-file --attn-x86-prefer-vector-width="vector-bits=0" 2>&1 | FileCheck %s --check-prefix=ERR

// ERR: error: attn-x86-prefer-vector-width: vector-bits must be positive, got 0

// A function that computes on vectors keeps 512-bit vectors whole; at 256
// bits (LLVM's default preference on AVX-512 CPUs) nothing is marked.

// CHECK-LABEL: func.func @vectors
// CHECK-SAME:    attributes {prefer_vector_width = "512"}
// AVX2-LABEL:  func.func @vectors
// AVX2-NOT:      prefer_vector_width
func.func @vectors(%a: vector<16xf32>, %b: vector<16xf32>) -> vector<16xf32> {
  %s = arith.addf %a, %b : vector<16xf32>
  return %s : vector<16xf32>
}

// -----

// A function without vectors is left alone.

// CHECK-LABEL: func.func @scalars
// CHECK-NOT:     prefer_vector_width
func.func @scalars(%a: f32, %b: f32) -> f32 {
  %s = arith.addf %a, %b : f32
  return %s : f32
}
