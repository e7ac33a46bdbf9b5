// Each attn op annotated for tensor parallelism: the operands cut along the
// loop its ShardingInterface implementation picks for the devices.
// RUN: attn-opt %s --split-input-file --attn-shard=devices=4 | FileCheck %s

// CHECK: module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "OpenMPI">}
// CHECK: shard.grid @tensor_parallel(shape = 4) {sym_visibility = "private"}
// CHECK-LABEL: func.func @mlra4
// CHECK-SAME: (%[[QN:.*]]: tensor<1x1x8x16xf32>, %[[QR:.*]]: tensor<1x1x8x8xf32>, %[[C:.*]]: tensor<1x37x4x24xf32>, %[[KR:.*]]: tensor<1x37x8xf32>, %[[WK:.*]]: tensor<4x8x24x16xf32>, %[[WV:.*]]: tensor<4x8x24x20xf32>)
// CHECK-DAG: %[[REPLICATED:.*]] = shard.sharding @tensor_parallel split_axes = {{\[\[\]\]}}
// CHECK-DAG: %[[BLOCKS:.*]] = shard.sharding @tensor_parallel split_axes = {{\[\[\], \[\], \[0\]\]}}
// CHECK-DAG: %[[FIRST:.*]] = shard.sharding @tensor_parallel split_axes = {{\[\[0\]\]}}
// CHECK-DAG: shard.shard %[[C]] to %[[BLOCKS]] annotate_for_users
// CHECK-DAG: shard.shard %[[WK]] to %[[FIRST]] annotate_for_users
// CHECK-DAG: shard.shard %[[WV]] to %{{.*}} annotate_for_users
// CHECK-DAG: shard.shard %[[QN]] to %{{.*}} annotate_for_users
// CHECK: %[[O:.*]] = attn.latent_attention
// The partial sums are summed: the result is whole on every device.
// CHECK: %[[WHOLE:.*]] = shard.sharding @tensor_parallel split_axes = {{\[\[\]\]}}
// CHECK: %[[R:.*]] = shard.shard %[[O]] to %[[WHOLE]] :
// CHECK: return %[[R]]

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
// CHECK-SAME: (%[[QN:.*]]: tensor<1x1x8x16xf32>, %[[QR:.*]]: tensor<1x1x8x8xf32>, %[[C:.*]]: tensor<1x37x32xf32>, %[[KR:.*]]: tensor<1x37x8xf32>, %[[WK:.*]]: tensor<8x32x16xf32>, %[[WV:.*]]: tensor<8x32x20xf32>)
// CHECK-DAG: %[[HEADS:.*]] = shard.sharding @tensor_parallel split_axes = {{\[\[\], \[\], \[0\]\]}}
// CHECK-DAG: %[[FIRST:.*]] = shard.sharding @tensor_parallel split_axes = {{\[\[0\]\]}}
// CHECK-DAG: %[[REPLICATED:.*]] = shard.sharding @tensor_parallel split_axes = {{\[\[\]\]}}
// CHECK-DAG: shard.shard %[[QN]] to %[[HEADS]] annotate_for_users
// CHECK-DAG: shard.shard %[[C]] to %[[REPLICATED]] annotate_for_users
// CHECK-DAG: shard.shard %[[WK]] to %[[FIRST]] annotate_for_users
// CHECK: %[[O:.*]] = attn.latent_attention
// CHECK: shard.shard %[[O]] to %[[HEADS2:.*]] :

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
// CHECK-SAME: (%[[QN:.*]]: tensor<1x1x8x16xf32>, %[[C:.*]]: tensor<1x37x4x24xf32>, %[[WK:.*]]: tensor<4x8x24x16xf32>, %[[WV:.*]]: tensor<4x8x24x20xf32>)
// CHECK-DAG: %[[THIRD:.*]] = shard.sharding @tensor_parallel split_axes = {{\[\[\], \[\], \[0\]\]}}
// CHECK-DAG: %[[SECOND:.*]] = shard.sharding @tensor_parallel split_axes = {{\[\[\], \[0\]\]}}
// CHECK-DAG: shard.shard %[[QN]] to %[[THIRD]] annotate_for_users
// CHECK-DAG: shard.shard %[[C]] to %{{.*}} annotate_for_users
// CHECK-DAG: shard.shard %[[WK]] to %[[SECOND]] annotate_for_users
// CHECK: attn.latent_attention

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
// CHECK-SAME: (%[[Q:.*]]: tensor<1x8x5x32xf32>, %[[K:.*]]: tensor<1x4x77x32xf32>, %[[V:.*]]: tensor<1x4x77x32xf32>)
// CHECK-DAG: %[[HEADS:.*]] = shard.sharding @tensor_parallel split_axes = {{\[\[\], \[0\]\]}}
// CHECK-DAG: shard.shard %[[Q]] to %[[HEADS]] annotate_for_users
// CHECK-DAG: shard.shard %[[K]] to %{{.*}} annotate_for_users
// CHECK: %[[O:.*]] = attn.attention
// CHECK: shard.shard %[[O]] to %{{.*}} :

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
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x256xf32>, %[[Q:.*]]: tensor<1x3x8x64xf32>, %[[K:.*]]: tensor<1x57x4x64xf32>, %[[V:.*]]: tensor<1x57x4x16xf32>, %[[W:.*]]: tensor<8x16x32xf32>)
// CHECK-DAG: %[[HEADS:.*]] = shard.sharding @tensor_parallel split_axes = {{\[\[\], \[\], \[0\]\]}}
// CHECK-DAG: %[[FIRST:.*]] = shard.sharding @tensor_parallel split_axes = {{\[\[0\]\]}}
// CHECK-DAG: shard.shard %[[X]] to %{{.*}} annotate_for_users
// CHECK-DAG: shard.shard %[[Q]] to %[[HEADS]] annotate_for_users
// CHECK-DAG: shard.shard %[[W]] to %[[FIRST]] annotate_for_users
// CHECK: attn.grouped_head_attention

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

// An initial value that several ops start from is copied per use first:
// %z64 starts three matmuls (two column-parallel, one row-parallel).
// CHECK-LABEL: func.func @layer
// CHECK-COUNT-4: linalg.fill
// CHECK-NOT: linalg.fill

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
