// RUN: attn-opt %s --attn-cpu-pipeline | FileCheck %s
// RUN: attn-opt %s --attn-cpu-pipeline | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVMIR

// attn-cpu-pipeline takes attn ops on tensors all the way to the LLVM
// dialect: nothing of attn, linalg, tensor, memref or scf survives, and the
// temporaries it allocates are freed.

// CHECK-LABEL: llvm.func @main
// CHECK-NOT:   attn.
// CHECK-NOT:   linalg.
// CHECK-NOT:   tensor.
// CHECK-NOT:   memref.
// CHECK-NOT:   scf.
// CHECK:       llvm.call @malloc
// CHECK:       llvm.intr.exp
// CHECK:       llvm.call @free
// CHECK:       llvm.return

// LLVMIR-LABEL: define { ptr, ptr, i64, [4 x i64], [4 x i64] } @main(
// LLVMIR:       call {{.*}}float @llvm.exp.f32(
func.func @main(%q: tensor<1x4x2x16xf32>, %k: tensor<1x2x8x16xf32>,
                %v: tensor<1x2x8x16xf32>) -> tensor<1x4x2x16xf32> {
  %init = tensor.empty() : tensor<1x4x2x16xf32>
  %o = attn.attention queries(%q : tensor<1x4x2x16xf32>) keys(%k : tensor<1x2x8x16xf32>)
         values(%v : tensor<1x2x8x16xf32>) outs(%init : tensor<1x4x2x16xf32>)
         scale(0.25 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x4x2x16xf32>
  return %o : tensor<1x4x2x16xf32>
}
