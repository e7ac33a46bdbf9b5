// REQUIRES: mpi
// RUN: %check-attention %s --variant gta --scale 0.125 --causal --tensor-parallel 2 --mpirun "%mpirun" | FileCheck %s

// GTA split by head group over 2 ranks: 4 score maps on 2 key heads and 2
// value heads (dl = 16, e = 2: D = 128), S = 3 queries against T = 57 keys,
// causal. Each rank computes 2 maps from 1 key and 1 value head, and their
// 64 output columns; rank 0 gathers them.

// CHECK: tensor-parallel: 2 ranks, cache bytes per key on each rank: 320
// CHECK: check: PASS gta.mlir shape=[1, 3, 128]
// CHECK: check: PASS gta.mlir on 2 ranks shape=[1, 3, 128]
// CHECK: agree: PASS gta.mlir vs gta.mlir on 2 ranks

func.func @main(%x_gate: tensor<1x3x128xf32>, %q: tensor<1x3x4x64xf32>,
                %k: tensor<1x57x2x64xf32>, %v: tensor<1x57x2x16xf32>,
                %w_vb: tensor<4x16x32xf32>) -> tensor<1x3x128xf32> {
  %init = tensor.empty() : tensor<1x3x128xf32>
  %y = attn.grouped_head_attention
         queries(%q : tensor<1x3x4x64xf32>) keys(%k : tensor<1x57x2x64xf32>)
         values(%v : tensor<1x57x2x16xf32>) decoder(%w_vb : tensor<4x16x32xf32>)
         gate(%x_gate : tensor<1x3x128xf32>) outs(%init : tensor<1x3x128xf32>)
         scale(0.125 : f32) masking(causal)
         -> tensor<1x3x128xf32>
  return %y : tensor<1x3x128xf32>
}
