// RUN: attn-opt %s --attn-decompose-aggregates | FileCheck %s

// A softmax that is not part of attention (or that attn-raise-attention did
// not take) becomes the max / exp / sum / divide generics the CPU pipeline
// compiles.

// CHECK-LABEL: func.func @softmax
// CHECK-NOT:   linalg.softmax
// CHECK:       linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK:         arith.maxnumf
// CHECK:       linalg.generic
// CHECK:         arith.subf
// CHECK:         math.exp
// CHECK:       linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK:         arith.addf
// CHECK:       linalg.generic
// CHECK:         arith.divf
func.func @softmax(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x16xf32>
  %p = linalg.softmax dimension(1) ins(%x : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %p : tensor<4x16xf32>
}
