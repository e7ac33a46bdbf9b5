// RUN: %check-attention %s --scale 0.25
// RUN: not %check-attention %s --scale 0.275 2>&1 | FileCheck %s

// MHA, no mask, Dv != D, two batches.
// The second RUN proves the check can fail: a wrong scale must be caught.

func.func @main(%q: tensor<2x4x33x16xf32>, %k: tensor<2x4x33x16xf32>, %v: tensor<2x4x33x24xf32>) -> tensor<2x4x33x24xf32> {
  %init = tensor.empty() : tensor<2x4x33x24xf32>
  %o = attn.attention queries(%q : tensor<2x4x33x16xf32>) keys(%k : tensor<2x4x33x16xf32>)
         values(%v : tensor<2x4x33x24xf32>) outs(%init : tensor<2x4x33x24xf32>)
         scale(0.25 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<2x4x33x24xf32>
  return %o : tensor<2x4x33x24xf32>
}
// CHECK: check: FAIL mha.mlir
