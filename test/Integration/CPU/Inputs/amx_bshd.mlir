// bf16 causal prefill in the BSHD layout (the AMX checks): K and V rows of
// one head are strided by the heads, read in place by AMX tile loads.
func.func @main(%q: tensor<1x80x4x64xbf16>, %k: tensor<1x96x2x64xbf16>, %v: tensor<1x96x2x64xbf16>) -> tensor<1x80x4x64xf32> {
  %init = tensor.empty() : tensor<1x80x4x64xf32>
  %o = attn.attention queries(%q : tensor<1x80x4x64xbf16>) keys(%k : tensor<1x96x2x64xbf16>)
         values(%v : tensor<1x96x2x64xbf16>) outs(%init : tensor<1x80x4x64xf32>)
         scale(0.125 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, s, h, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, t, h, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, t, h, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, s, h, e)>]
         -> tensor<1x80x4x64xf32>
  return %o : tensor<1x80x4x64xf32>
}
