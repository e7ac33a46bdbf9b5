// bf16 causal prefill, 2 heads, S = T = 176, D = 64 (the AMX checks):
// query tiles of 64, 64 and 48 rows and key steps of 64 keys on AMX tiles,
// the last key step (48 keys, not whole pairs of 32-wide tile rows) on
// vectors.
func.func @main(%q: tensor<1x2x176x64xbf16>, %k: tensor<1x2x176x64xbf16>,
                %v: tensor<1x2x176x64xbf16>) -> tensor<1x2x176x64xf32> {
  %init = tensor.empty() : tensor<1x2x176x64xf32>
  %o = attn.attention queries(%q : tensor<1x2x176x64xbf16>) keys(%k : tensor<1x2x176x64xbf16>)
         values(%v : tensor<1x2x176x64xbf16>) outs(%init : tensor<1x2x176x64xf32>)
         scale(0.125 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x2x176x64xf32>
  return %o : tensor<1x2x176x64xf32>
}
