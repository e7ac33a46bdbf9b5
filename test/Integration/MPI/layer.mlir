// REQUIRES: mpi
// RUN: %check-attention %s --variant layer --head-dim 16 --scale 0.25 --causal --tensor-parallel 2 --mpirun "%mpirun" | FileCheck %s
// RUN: %check-attention %s --variant layer --head-dim 16 --scale 0.25 --causal --tensor-parallel 4 --mpirun "%mpirun" | FileCheck %s

// A Megatron-style attention layer, weights as arguments: q, k, v = x @ w_q,
// x @ w_k, x @ w_v (8 query heads on 4 KV heads of 16), causal GQA over
// S = 5 tokens, heads merged, @ w_o. Split over ranks, the projections are
// column-parallel by head group (w_q, w_k, w_v cut along their columns),
// attention runs per rank on its heads, the output projection is
// row-parallel (w_o cut along its rows) and one all-reduce sums it.

// CHECK: check: PASS layer.mlir shape=[5, 64]
// CHECK: check: PASS layer.mlir on {{[24]}} ranks shape=[5, 64]
// CHECK: agree: PASS

func.func @main(%x: tensor<5x64xf32>, %wq: tensor<64x128xf32>, %wk: tensor<64x64xf32>,
                %wv: tensor<64x64xf32>, %wo: tensor<128x64xf32>) -> tensor<5x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e128 = tensor.empty() : tensor<5x128xf32>
  %z128 = linalg.fill ins(%zero : f32) outs(%e128 : tensor<5x128xf32>) -> tensor<5x128xf32>
  %e64 = tensor.empty() : tensor<5x64xf32>
  %z64 = linalg.fill ins(%zero : f32) outs(%e64 : tensor<5x64xf32>) -> tensor<5x64xf32>
  %q = linalg.matmul ins(%x, %wq : tensor<5x64xf32>, tensor<64x128xf32>) outs(%z128 : tensor<5x128xf32>) -> tensor<5x128xf32>
  %k = linalg.matmul ins(%x, %wk : tensor<5x64xf32>, tensor<64x64xf32>) outs(%z64 : tensor<5x64xf32>) -> tensor<5x64xf32>
  %v = linalg.matmul ins(%x, %wv : tensor<5x64xf32>, tensor<64x64xf32>) outs(%z64 : tensor<5x64xf32>) -> tensor<5x64xf32>
  %q3 = tensor.expand_shape %q [[0], [1, 2]] output_shape [5, 8, 16] : tensor<5x128xf32> into tensor<5x8x16xf32>
  %k3 = tensor.expand_shape %k [[0], [1, 2]] output_shape [5, 4, 16] : tensor<5x64xf32> into tensor<5x4x16xf32>
  %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [5, 4, 16] : tensor<5x64xf32> into tensor<5x4x16xf32>
  %eq = tensor.empty() : tensor<8x5x16xf32>
  %ekv = tensor.empty() : tensor<4x5x16xf32>
  %qh = linalg.transpose ins(%q3 : tensor<5x8x16xf32>) outs(%eq : tensor<8x5x16xf32>) permutation = [1, 0, 2]
  %kh = linalg.transpose ins(%k3 : tensor<5x4x16xf32>) outs(%ekv : tensor<4x5x16xf32>) permutation = [1, 0, 2]
  %vh = linalg.transpose ins(%v3 : tensor<5x4x16xf32>) outs(%ekv : tensor<4x5x16xf32>) permutation = [1, 0, 2]
  %o = attn.attention queries(%qh : tensor<8x5x16xf32>) keys(%kh : tensor<4x5x16xf32>)
         values(%vh : tensor<4x5x16xf32>) outs(%eq : tensor<8x5x16xf32>)
         scale(0.25 : f32) masking(causal)
         indexing_maps = [
           affine_map<(h, s, t, d, e) -> (h, s, d)>,
           affine_map<(h, s, t, d, e) -> (h, t, d)>,
           affine_map<(h, s, t, d, e) -> (h, t, e)>,
           affine_map<(h, s, t, d, e) -> (h, s, e)>]
         -> tensor<8x5x16xf32>
  %eo = tensor.empty() : tensor<5x8x16xf32>
  %os = linalg.transpose ins(%o : tensor<8x5x16xf32>) outs(%eo : tensor<5x8x16xf32>) permutation = [1, 0, 2]
  %o2 = tensor.collapse_shape %os [[0], [1, 2]] : tensor<5x8x16xf32> into tensor<5x128xf32>
  %y = linalg.matmul ins(%o2, %wo : tensor<5x128xf32>, tensor<128x64xf32>) outs(%z64 : tensor<5x64xf32>) -> tensor<5x64xf32>
  return %y : tensor<5x64xf32>
}
