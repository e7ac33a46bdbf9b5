// GTA (grouped-head latent attention, Sun et al.) decode step, causal.
//   x_gate [B,S,D], q [B,S,nq,dq], k [B,T,nk,dq], v [B,T,nc,dl],
//   w_vb [nq,dl,e*dl] -> y [B,S,D], D = nq*e*dl
// Map i uses key head floor(i*nk/nq) and value head floor(i*nc/nq);
// o_i = softmax(scale q_i.k) v (width dl); u_i = o_i @ ([I_dl ... I_dl] + w_vb[i]);
// y = sigmoid(x_gate) * concat_i(u_i); scale = 1/sqrt(dq).
// Defaults B=1, S=1, nq=5, dq=64, nk=1, nc=1, dl=128, e=2, T=4096 (D=1280).
func.func @main(%x_gate: tensor<1x1x1280xf32>, %q: tensor<1x1x5x64xf32>,
                %k: tensor<1x4096x1x64xf32>, %v: tensor<1x4096x1x128xf32>,
                %w_vb: tensor<5x128x256xf32>) -> tensor<1x1x1280xf32> {
  %init = tensor.empty() : tensor<1x1x1280xf32>
  %y = attn.grouped_head_attention
         queries(%q : tensor<1x1x5x64xf32>) keys(%k : tensor<1x4096x1x64xf32>)
         values(%v : tensor<1x4096x1x128xf32>) decoder(%w_vb : tensor<5x128x256xf32>)
         gate(%x_gate : tensor<1x1x1280xf32>) outs(%init : tensor<1x1x1280xf32>)
         scale(0.125 : f32) masking(causal)
         -> tensor<1x1x1280xf32>
  return %y : tensor<1x1x1280xf32>
}
