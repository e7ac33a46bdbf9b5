// The program one of 4 ranks runs: arguments and results are each rank's
// slices, collectives shard ops (attn-tensor-parallel); then the CPU
// pipeline to the LLVM dialect: the all-reduce an MPI_Allreduce on MPI_COMM_WORLD with
// OpenMPI's own symbols, no grid left.
// RUN: attn-opt %s --split-input-file --attn-tensor-parallel=devices=4 | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-tensor-parallel=devices=4 --attn-cpu-pipeline | FileCheck %s --check-prefix=LLVM

// CHECK: module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "OpenMPI">}
// CHECK: shard.grid @tensor_parallel(shape = 4) {sym_visibility = "private"}

// CHECK-LABEL: func.func @mlra4
// CHECK-SAME: tensor<1x1x8x16xf32>, %{{.*}}: tensor<1x1x8x8xf32>, %{{.*}}: tensor<1x37x1x24xf32>, %{{.*}}: tensor<1x37x8xf32>, %{{.*}}: tensor<1x8x24x16xf32>, %{{.*}}: tensor<1x8x24x20xf32>) -> tensor<1x1x8x20xf32>
// CHECK: %[[O:.*]] = attn.latent_attention {{.*}} branches [#attn.latent_branch<first = 0, count = 1>] weight(5.000000e-01)
// CHECK: %[[SUM:.*]] = shard.all_reduce %[[O]] on @tensor_parallel grid_axes = [0] : tensor<1x1x8x20xf32>
// CHECK: return %[[SUM]]
// LLVM-LABEL: llvm.func @mlra4
// LLVM-NOT: MPI_Comm_split
// LLVM-DAG: %[[WORLD:.*]] = llvm.mlir.addressof @ompi_mpi_comm_world
// LLVM-DAG: %[[SUM:.*]] = llvm.mlir.addressof @ompi_mpi_op_sum
// LLVM-DAG: %[[FLOAT:.*]] = llvm.mlir.addressof @ompi_mpi_float
// LLVM: %[[WORLD_INT:.*]] = llvm.ptrtoint %[[WORLD]] : !llvm.ptr to i64
// LLVM: %[[COMM:.*]] = llvm.inttoptr %[[WORLD_INT]] : i64 to !llvm.ptr
// LLVM: llvm.call @MPI_Allreduce(%{{.*}}, %{{.*}}, %{{.*}}, %[[FLOAT]], %[[SUM]], %[[COMM]])
// LLVM-NOT: shard.

// MLRA-4 over 4 devices: latent blocks.
func.func @mlra4(%q_nope: tensor<1x1x8x16xf32>, %q_rope: tensor<1x1x8x8xf32>,
                 %latent: tensor<1x37x4x24xf32>, %k_rope: tensor<1x37x8xf32>,
                 %w_uk: tensor<4x8x24x16xf32>, %w_uv: tensor<4x8x24x20xf32>) -> tensor<1x1x8x20xf32> {
  %init = tensor.empty() : tensor<1x1x8x20xf32>
  %o = attn.latent_attention
         queries(%q_nope, %q_rope : tensor<1x1x8x16xf32>, tensor<1x1x8x8xf32>)
         latent(%latent, %k_rope : tensor<1x37x4x24xf32>, tensor<1x37x8xf32>)
         up_projections(%w_uk, %w_uv : tensor<4x8x24x16xf32>, tensor<4x8x24x20xf32>)
         outs(%init : tensor<1x1x8x20xf32>) scale(0.125 : f32) weight(0.5)
         -> tensor<1x1x8x20xf32>
  return %o : tensor<1x1x8x20xf32>
}

// -----

// CHECK-LABEL: func.func @mla
// CHECK-SAME: tensor<1x1x2x16xf32>, %{{.*}}: tensor<1x1x2x8xf32>, %{{.*}}: tensor<1x37x32xf32>, %{{.*}}: tensor<1x37x8xf32>, %{{.*}}: tensor<2x32x16xf32>, %{{.*}}: tensor<2x32x20xf32>) -> tensor<1x1x2x20xf32>
// CHECK: %[[O:.*]] = attn.latent_attention
// CHECK-NOT: shard.
// CHECK: return %[[O]]

// MLA over 4 devices: query heads; the latent and RoPE key replicated.
func.func @mla(%q_nope: tensor<1x1x8x16xf32>, %q_rope: tensor<1x1x8x8xf32>,
               %latent: tensor<1x37x32xf32>, %k_rope: tensor<1x37x8xf32>,
               %w_uk: tensor<8x32x16xf32>, %w_uv: tensor<8x32x20xf32>) -> tensor<1x1x8x20xf32> {
  %init = tensor.empty() : tensor<1x1x8x20xf32>
  %o = attn.latent_attention
         queries(%q_nope, %q_rope : tensor<1x1x8x16xf32>, tensor<1x1x8x8xf32>)
         latent(%latent, %k_rope : tensor<1x37x32xf32>, tensor<1x37x8xf32>)
         up_projections(%w_uk, %w_uv : tensor<8x32x16xf32>, tensor<8x32x20xf32>)
         outs(%init : tensor<1x1x8x20xf32>) scale(0.125 : f32)
         -> tensor<1x1x8x20xf32>
  return %o : tensor<1x1x8x20xf32>
}

// -----

// CHECK-LABEL: func.func @gla4
// CHECK-SAME: (%{{.*}}: tensor<1x1x2x16xf32>, %{{.*}}: tensor<1x37x1x24xf32>, %[[WK:.*]]: tensor<4x2x24x16xf32>, %[[WV:.*]]: tensor<4x2x24x20xf32>) -> tensor<1x1x2x20xf32>
// CHECK: %[[I:.*]] = shard.process_multi_index on @tensor_parallel axes = [0]
// CHECK: %[[K:.*]] = tensor.extract_slice %[[WK]][%[[I]], 0, 0, 0] [1, 2, 24, 16]
// CHECK: %[[V:.*]] = tensor.extract_slice %[[WV]][%[[I]], 0, 0, 0] [1, 2, 24, 20]
// CHECK: %[[O:.*]] = attn.latent_attention {{.*}} up_projections(%[[K]], %[[V]] : {{.*}} branches [#attn.latent_branch<first = 0, count = 1>]
// CHECK: return %[[O]]

// GLA-4 over 4 devices: each latent head with its block.
func.func @gla4(%q_nope: tensor<1x1x8x16xf32>, %latent: tensor<1x37x4x24xf32>,
                %w_uk: tensor<4x8x24x16xf32>, %w_uv: tensor<4x8x24x20xf32>) -> tensor<1x1x8x20xf32> {
  %init = tensor.empty() : tensor<1x1x8x20xf32>
  %o = attn.latent_attention
         queries(%q_nope : tensor<1x1x8x16xf32>) latent(%latent : tensor<1x37x4x24xf32>)
         up_projections(%w_uk, %w_uv : tensor<4x8x24x16xf32>, tensor<4x8x24x20xf32>)
         outs(%init : tensor<1x1x8x20xf32>) scale(0.125 : f32)
         branches [#attn.latent_branch<first = 0, count = 4>]
         -> tensor<1x1x8x20xf32>
  return %o : tensor<1x1x8x20xf32>
}

// -----

// CHECK-LABEL: func.func @gqa
// CHECK-SAME: tensor<1x2x5x32xf32>, %{{.*}}: tensor<1x1x77x32xf32>, %{{.*}}: tensor<1x1x77x32xf32>) -> tensor<1x2x5x32xf32>
// CHECK: %[[O:.*]] = attn.attention {{.*}} masking(causal)
// CHECK: return %[[O]]

// GQA over 4 devices: 8 query heads on 4 KV heads, by KV-head group.
func.func @gqa(%q: tensor<1x8x5x32xf32>, %k: tensor<1x4x77x32xf32>, %v: tensor<1x4x77x32xf32>) -> tensor<1x8x5x32xf32> {
  %init = tensor.empty() : tensor<1x8x5x32xf32>
  %o = attn.attention queries(%q : tensor<1x8x5x32xf32>) keys(%k : tensor<1x4x77x32xf32>)
         values(%v : tensor<1x4x77x32xf32>) outs(%init : tensor<1x8x5x32xf32>)
         scale(0.17677669529663687 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x8x5x32xf32>
  return %o : tensor<1x8x5x32xf32>
}

// -----

// CHECK-LABEL: func.func @gta
// CHECK-SAME: tensor<1x3x64xf32>, %{{.*}}: tensor<1x3x2x64xf32>, %{{.*}}: tensor<1x57x1x64xf32>, %{{.*}}: tensor<1x57x1x16xf32>, %{{.*}}: tensor<2x16x32xf32>) -> tensor<1x3x64xf32>
// CHECK: %[[O:.*]] = attn.grouped_head_attention
// CHECK: return %[[O]]

// GTA over 4 devices: head groups.
func.func @gta(%x_gate: tensor<1x3x256xf32>, %q: tensor<1x3x8x64xf32>,
               %k: tensor<1x57x4x64xf32>, %v: tensor<1x57x4x16xf32>,
               %w_vb: tensor<8x16x32xf32>) -> tensor<1x3x256xf32> {
  %init = tensor.empty() : tensor<1x3x256xf32>
  %y = attn.grouped_head_attention
         queries(%q : tensor<1x3x8x64xf32>) keys(%k : tensor<1x57x4x64xf32>)
         values(%v : tensor<1x57x4x16xf32>) decoder(%w_vb : tensor<8x16x32xf32>)
         gate(%x_gate : tensor<1x3x256xf32>) outs(%init : tensor<1x3x256xf32>)
         scale(0.125 : f32) masking(causal)
         -> tensor<1x3x256xf32>
  return %y : tensor<1x3x256xf32>
}

// -----

// MLRA-4 in bf16: the partial sums are summed in f32 (MPI has no bf16).
// CHECK-LABEL: func.func @mlra4_bf16
// CHECK: %[[O:.*]] = attn.latent_attention {{.*}} -> tensor<1x1x8x20xbf16>
// CHECK: %[[WIDE:.*]] = linalg.generic {{.*}} ins(%[[O]] : tensor<1x1x8x20xbf16>) outs(%{{.*}} : tensor<1x1x8x20xf32>)
// CHECK: arith.extf
// CHECK: %[[SUM:.*]] = shard.all_reduce %[[WIDE]] on @tensor_parallel grid_axes = [0] : tensor<1x1x8x20xf32>
// CHECK: %[[NARROW:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<1x1x8x20xf32>) outs(%{{.*}} : tensor<1x1x8x20xbf16>)
// CHECK: arith.truncf
// CHECK: return %[[NARROW]]
// LLVM-LABEL: llvm.func @mlra4_bf16
// LLVM: llvm.call @MPI_Allreduce

func.func @mlra4_bf16(%q_nope: tensor<1x1x8x16xbf16>, %q_rope: tensor<1x1x8x8xbf16>,
                 %latent: tensor<1x37x4x24xbf16>, %k_rope: tensor<1x37x8xbf16>,
                 %w_uk: tensor<4x8x24x16xbf16>, %w_uv: tensor<4x8x24x20xbf16>) -> tensor<1x1x8x20xbf16> {
  %init = tensor.empty() : tensor<1x1x8x20xbf16>
  %o = attn.latent_attention
         queries(%q_nope, %q_rope : tensor<1x1x8x16xbf16>, tensor<1x1x8x8xbf16>)
         latent(%latent, %k_rope : tensor<1x37x4x24xbf16>, tensor<1x37x8xbf16>)
         up_projections(%w_uk, %w_uv : tensor<4x8x24x16xbf16>, tensor<4x8x24x20xbf16>)
         outs(%init : tensor<1x1x8x20xbf16>) scale(0.125 : f32) weight(0.5)
         -> tensor<1x1x8x20xbf16>
  return %o : tensor<1x1x8x20xbf16>
}

// -----

// A Megatron-style layer (weights as arguments): the projections'
// weights cut along their columns by head group, the heads split out and
// merged back by reshapes cut with them, attention per rank, the output
// projection's weight cut along its rows and one all-reduce.
// CHECK-LABEL: func.func @layer
// CHECK-SAME: (%[[X:.*]]: tensor<5x64xf32>, %[[WQ:.*]]: tensor<64x32xf32>, %[[WK:.*]]: tensor<64x16xf32>, %[[WV:.*]]: tensor<64x16xf32>, %[[WO:.*]]: tensor<32x64xf32>) -> tensor<5x64xf32>
// CHECK: %[[Q:.*]] = linalg.matmul ins(%[[X]], %[[WQ]] : tensor<5x64xf32>, tensor<64x32xf32>)
// CHECK: tensor.expand_shape %[[Q]] {{\[\[}}0], [1, 2]] output_shape [5, 2, 16]
// CHECK: attn.attention {{.*}} -> tensor<2x5x16xf32>
// CHECK: %[[O:.*]] = tensor.collapse_shape {{.*}} : tensor<5x2x16xf32> into tensor<5x32xf32>
// CHECK: %[[Y:.*]] = linalg.matmul ins(%[[O]], %[[WO]] : tensor<5x32xf32>, tensor<32x64xf32>)
// CHECK: %[[SUM:.*]] = shard.all_reduce %[[Y]] on @tensor_parallel grid_axes = [0] : tensor<5x64xf32>
// CHECK-NOT: shard.all_
// CHECK: return %[[SUM]]
// LLVM-LABEL: llvm.func @layer
// LLVM: llvm.call @MPI_Allreduce
// LLVM-NOT: llvm.call @MPI_Allreduce
// LLVM: llvm.return

func.func @layer(%x: tensor<5x64xf32>, %wq: tensor<64x128xf32>, %wk: tensor<64x64xf32>,
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
