// RUN: %check-attention %s --args q,k,v,kv_lengths --scale 0.25
// RUN: %check-attention %s --function causal --args q,k,v,kv_lengths --scale 0.25 --causal

// Per-batch valid KV length (random in [1, T]), alone and with causal
// masking aligned to the valid length.

func.func @main(%q: tensor<3x4x4x16xf32>, %k: tensor<3x4x50x16xf32>, %v: tensor<3x4x50x16xf32>, %len: tensor<3xi32>) -> tensor<3x4x4x16xf32> {
  %init = tensor.empty() : tensor<3x4x4x16xf32>
  %o = attn.attention queries(%q : tensor<3x4x4x16xf32>) keys(%k : tensor<3x4x50x16xf32>)
         values(%v : tensor<3x4x50x16xf32>) kv_lengths(%len : tensor<3xi32>) outs(%init : tensor<3x4x4x16xf32>)
         scale(0.25 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<3x4x4x16xf32>
  return %o : tensor<3x4x4x16xf32>
}

func.func @causal(%q: tensor<3x4x4x16xf32>, %k: tensor<3x2x50x16xf32>, %v: tensor<3x2x50x16xf32>, %len: tensor<3xi64>) -> tensor<3x4x4x16xf32> {
  %init = tensor.empty() : tensor<3x4x4x16xf32>
  %o = attn.attention queries(%q : tensor<3x4x4x16xf32>) keys(%k : tensor<3x2x50x16xf32>)
         values(%v : tensor<3x2x50x16xf32>) kv_lengths(%len : tensor<3xi64>) outs(%init : tensor<3x4x4x16xf32>)
         scale(0.25 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<3x4x4x16xf32>
  return %o : tensor<3x4x4x16xf32>
}
