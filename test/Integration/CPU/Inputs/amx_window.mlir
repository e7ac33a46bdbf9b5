// bf16 sliding-window prefill, 4 query heads on 2 KV heads (the AMX checks):
// a tile's 2 x 64 packed rows make 128-row score tiles, whose row
// statistics take two vectors of 64 lanes each.
func.func @main(%q: tensor<1x4x96x64xbf16>, %k: tensor<1x2x160x64xbf16>, %v: tensor<1x2x160x64xbf16>) -> tensor<1x4x96x64xf32> {
  %init = tensor.empty() : tensor<1x4x96x64xf32>
  %o = attn.attention queries(%q : tensor<1x4x96x64xbf16>) keys(%k : tensor<1x2x160x64xbf16>)
         values(%v : tensor<1x2x160x64xbf16>) outs(%init : tensor<1x4x96x64xf32>)
         scale(0.125 : f32) masking(sliding_window, window = 37)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x4x96x64xf32>
  return %o : tensor<1x4x96x64xf32>
}
