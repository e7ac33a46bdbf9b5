// RUN: attn-opt %s --attn-cpu-pipeline | FileCheck %s
// RUN: attn-opt %s --attn-cpu-pipeline | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVMIR
// RUN: attn-opt %s --attn-cpu-pipeline=reference=1 | FileCheck %s --check-prefix=REFERENCE
// RUN: attn-opt %s --attn-cpu-pipeline=threads=1 | FileCheck %s --check-prefix=THREADS

// attn-cpu-pipeline takes attn ops on tensors all the way to the LLVM
// dialect: nothing of attn, linalg, tensor, memref, scf or vector survives,
// and the temporaries it allocates are freed. The tiled path computes with
// vector FMAs (exp is a polynomial); reference=1 keeps the scalar oracle.

// CHECK-LABEL: llvm.func @main
// CHECK-NOT:   attn.
// CHECK-NOT:   linalg.
// CHECK-NOT:   tensor.
// CHECK-NOT:   memref.
// CHECK-NOT:   scf.
// CHECK-NOT:   vector.
// CHECK-NOT:   llvm.intr.exp
// CHECK:       llvm.call @malloc
// CHECK:       llvm.intr.fma({{.*}}) : (vector<{{[0-9]+}}xf32>, {{.*}}) -> vector<{{[0-9]+}}xf32>
// CHECK:       llvm.call @free
// CHECK:       llvm.return

// LLVMIR-LABEL: define { ptr, ptr, i64, [4 x i64], [4 x i64] } @main(
// LLVMIR:       call <{{[0-9]+}} x float> @llvm.fma.v{{[0-9]+}}f32(

// With threads=1 the parallel tile loop is an OpenMP work-sharing loop.
// THREADS-LABEL: llvm.func @main
// THREADS:       omp.parallel
// THREADS:       omp.wsloop
// THREADS:       omp.loop_nest

// REFERENCE-LABEL: llvm.func @main
// REFERENCE:       llvm.intr.exp({{.*}}) : (f32) -> f32
// REFERENCE-NOT:   vector<
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
