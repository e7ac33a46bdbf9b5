// Found by the numeric fuzzer in its seeds (lower-grouped-head-attention.mlir):
// GTA with 2 key heads and 1 value head, its decoder fused per query tile.
// The score loop prefetched the V rows of the P.V that follows it, whose V
// slice is computed after the scores: the prefetch used an offset before
// its definition, and the tiled pipeline failed to compile what the
// reference lowering runs.
func.func @gta(%x: tensor<1x2x64xf32>, %q: tensor<1x2x4x16xf32>, %k: tensor<1x32x2x16xf32>,
               %v: tensor<1x32x1x8xf32>, %w_vb: tensor<4x8x16xf32>) -> tensor<1x2x64xf32> {
  %init = tensor.empty() : tensor<1x2x64xf32>
  %y = attn.grouped_head_attention queries(%q : tensor<1x2x4x16xf32>) keys(%k : tensor<1x32x2x16xf32>)
         values(%v : tensor<1x32x1x8xf32>) decoder(%w_vb : tensor<4x8x16xf32>)
         gate(%x : tensor<1x2x64xf32>) outs(%init : tensor<1x2x64xf32>)
         scale(0.25 : f32) masking(causal) -> tensor<1x2x64xf32>
  return %y : tensor<1x2x64xf32>
}
