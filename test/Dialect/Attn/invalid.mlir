// RUN: attn-opt %s --split-input-file --verify-diagnostics

func.func @no_contraction(%v: tensor<1x8x16xf32>, %o: tensor<1x1x16xf32>) {
  // expected-error @+1 {{'attn.attention' op needs at least one query/key contraction}}
  %r = "attn.attention"(%v, %o) <{indexing_maps = [affine_map<(b, s, t, e) -> (b, t, e)>, affine_map<(b, s, t, e) -> (b, s, e)>], operandSegmentSizes = array<i32: 0, 0, 1, 0, 0, 0, 0, 1, 0>, scale = 1.0 : f32}> : (tensor<1x8x16xf32>, tensor<1x1x16xf32>) -> tensor<1x1x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{'attn.attention' op has 2 queries but 1 keys; each query must be paired with one key}}
  %r = attn.attention queries(%q, %q : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{expects 4 indexing maps (queries, keys, value, optional mask, optional kv_lengths, output, optional log_sum_exp) but got 3}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{indexing map of key #0 must not use symbols}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e)[x] -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{indexing map of value has 5 dimensions but the map of query #0 has 6; all maps must share one iteration space}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{indexing map of key #0 must be a projected permutation of the iteration space}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t + s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{key #0 has rank 4 but its indexing map has 3 results}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x?x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{query #0 has a dynamic shape; only static shapes are supported}}
  %r = attn.attention queries(%q : tensor<1x4x?x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{dimension d4 is contracted by query #1 and key #1 (absent) unevenly; a reduction dimension must appear in both operands of its contraction}}
  %r = attn.attention queries(%q, %q : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) keys(%k, %k : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{dimension d2 has no attention role: it is used by {query #0, value, output}}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>, %mask: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{mask uses dimension d4 whose role is K1; a mask may only use batch, M and K2 dimensions}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) mask(%mask : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>, %len: tensor<8xi32>) {
  // expected-error @+1 {{kv_lengths uses dimension d2 whose role is M; kv_lengths may only use batch dimensions}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) kv_lengths(%len : tensor<8xi32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (s)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8xf32>, %k: tensor<1x4x8xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{query #0 and key #0 share no reduction (K1) dimension}}
  %r = attn.attention queries(%q : tensor<1x4x8xf32>) keys(%k : tensor<1x4x8xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, e) -> (b, h, s)>, affine_map<(b, h, s, t, e) -> (b, h, t)>, affine_map<(b, h, s, t, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x16xf32>, %v: tensor<1x4x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{has no key (K2) dimension to take the softmax over}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x16xf32>) values(%v : tensor<1x4x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, d, e) -> (b, h, d)>, affine_map<(b, h, s, d, e) -> (b, h, e)>, affine_map<(b, h, s, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x3x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{head counts do not divide: key #0 has extent 3 along batch dimension d1, which does not divide the output's extent 4}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x3x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x2x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{query #0 has extent 2 along batch dimension d1 but the iteration space has 4}}
  %r = attn.attention queries(%q : tensor<1x2x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x9x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{key #0 has extent 9 along K2 dimension d3 but the iteration space has 8}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x9x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xi32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{value must have a floating-point element type, got 'i32'}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xi32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf16>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{element type mismatch: query #0 has 'f16' but the value has 'f32'}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf16>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xbf16>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{element type mismatch: key #0 has 'bf16' but the value has 'f32'}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xbf16>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xi32>) {
  // expected-error @+1 {{output must have a floating-point element type, got 'i32'}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xi32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xi32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{result type 'tensor<1x4x8x16xf16>' does not match the output type 'tensor<1x4x8x16xf32>'}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf16>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>, %mask: tensor<1x4x8x8xi32>) {
  // expected-error @+1 {{mask must be additive (floating-point) or boolean (i1), got element type 'i32'}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) mask(%mask : tensor<1x4x8x8xi32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, t)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>, %len: tensor<1xf32>) {
  // expected-error @+1 {{kv_lengths must have element type i32 or i64, got 'f32'}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) kv_lengths(%len : tensor<1xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{scale must be a floating-point attribute, got 1 : i32}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(1 : i32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{scale must be positive and finite, got -2.5}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(-2.5 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{scale must be positive and finite, got 0}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.0 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{masking(sliding_window) needs a window size}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) masking(sliding_window) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{window is only meaningful with masking(sliding_window)}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) masking(causal, window = 4) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{window must be positive, got 0}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) masking(sliding_window, window = 0) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x16xf32>) {
  // expected-error @+1 {{masking(causal) needs a query (M) dimension to take positions from}}
  %r = attn.attention queries(%q : tensor<1x4x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x16xf32>)
         scale(0.25 : f32) masking(causal) indexing_maps = [affine_map<(b, h, t, d, e) -> (b, h, d)>, affine_map<(b, h, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, t, d, e) -> (b, h, e)>] -> tensor<1x4x16xf32>
  return
}

// -----

func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{dimension d5 has no attention role: it is used by {}}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @unknown_mask(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %o: tensor<1x4x8x16xf32>) {
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x4x8x16xf32>) values(%v : tensor<1x4x8x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         // expected-error @+1 {{unknown mask kind 'diagonal'; expected none, causal or sliding_window}}
         scale(0.25 : f32) masking(diagonal) indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf16>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x32xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x32x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{element type mismatch: q_nope has 'f16' but latent has 'f32'}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf16>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16x32xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x32x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32)  -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xi8>, %qr: tensor<1x1x4x4xi8>, %c: tensor<1x16x32xi8>, %kr: tensor<1x16x4xi8>, %wuk: tensor<4x32x8xi8>, %wuv: tensor<4x32x8xi8>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{latent must have a floating-point element type, got 'i8'}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xi8>, tensor<1x1x4x4xi8>) latent(%c, %kr : tensor<1x16x32xi8>, tensor<1x16x4xi8>)
         up_projections(%wuk, %wuv : tensor<4x32x8xi8>, tensor<4x32x8xi8>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32)  -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x32xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x32x8xf32>, %o: tensor<1x1x4x8xi32>) {
  // expected-error @+1 {{output must have a floating-point element type, got 'i32'}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16x32xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x32x8xf32>) outs(%o : tensor<1x1x4x8xi32>) scale(0.25 : f32)  -> tensor<1x1x4x8xi32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x32x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{latent must have rank 3 ([B,T,db]), got 'tensor<1x16xf32>'}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x32x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32)  -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x4x8xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x4x8x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{w_uk must have rank 4 ([nb,H,db,dn]), got 'tensor<4x32x8xf32>'}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16x4x8xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x4x8x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32)  -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<2x1x4x4xf32>, %c: tensor<1x16x32xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x32x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{q_rope has B = 2 but q_nope has B = 1}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<2x1x4x4xf32>) latent(%c, %kr : tensor<1x16x32xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x32x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32)  -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x32xf32>, %kr: tensor<1x16x8xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x32x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{k_rope has dR = 8 but q_rope has dR = 4}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16x32xf32>, tensor<1x16x8xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x32x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32)  -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x32xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x16x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{w_uv has db = 16 but latent has db = 32}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16x32xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x16x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32)  -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x32xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x32x8xf32>, %o: tensor<1x1x4x7xf32>) {
  // expected-error @+1 {{output has dv = 7 but w_uv has dv = 8}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16x32xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x32x8xf32>) outs(%o : tensor<1x1x4x7xf32>) scale(0.25 : f32)  -> tensor<1x1x4x7xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x?x32xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x32x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{latent has a dynamic shape; only static shapes are supported}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x?x32xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x32x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32)  -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x32xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x32x8xf32>, %o: tensor<1x1x4x8xf32>, %len: tensor<1xf32>) {
  // expected-error @+1 {{kv_lengths must have element type i32 or i64, got 'f32'}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16x32xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x32x8xf32>) kv_lengths(%len : tensor<1xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32)  -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x32xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x32x8xf32>, %o: tensor<1x1x4x8xf32>, %len: tensor<3xi32>) {
  // expected-error @+1 {{kv_lengths has B = 3 but q_nope has B = 1}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16x32xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x32x8xf32>) kv_lengths(%len : tensor<3xi32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32)  -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x32xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x32x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{weight must be finite and non-zero, got 0}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16x32xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x32x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32) weight(0.0) -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x4x8xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x4x8x8xf32>, %wuv: tensor<4x4x8x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{needs at least one branch}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16x4x8xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x4x8x8xf32>, tensor<4x4x8x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32) branches [] -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x4x8xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x4x8x8xf32>, %wuv: tensor<4x4x8x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{branch #1 reads blocks [3, 5) outside the latent's 4 blocks}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16x4x8xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x4x8x8xf32>, tensor<4x4x8x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32) branches [#attn.latent_branch<first = 0, count = 1>, #attn.latent_branch<first = 3, count = 2>] -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x4x8xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x4x8x8xf32>, %wuv: tensor<4x4x8x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{head counts do not divide: branch #0 spreads 4 heads over 3 blocks}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16x4x8xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x4x8x8xf32>, tensor<4x4x8x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32) branches [#attn.latent_branch<first = 0, count = 3>] -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x32xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x32x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{scale must be positive and finite, got -1}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16x32xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x32x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(-1.0 : f32)  -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x32xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x32x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{window is only meaningful with masking(sliding_window)}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16x32xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x32x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32) masking(causal, window = 3) -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x32xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x32x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{result type 'tensor<1x1x4x8xf16>' does not match the output type 'tensor<1x1x4x8xf32>'}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c, %kr : tensor<1x16x32xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x32x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32)  -> tensor<1x1x4x8xf16>
  return
}

// -----

func.func @gta(%x: tensor<1x1x64xf32>, %q: tensor<1x1x4x16xf32>, %k: tensor<1x32x3x16xf32>, %v: tensor<1x32x1x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<1x1x64xf32>) {
  // expected-error @+1 {{head counts do not divide: 3 key heads for 4 score maps}}
  %y = attn.grouped_head_attention queries(%q : tensor<1x1x4x16xf32>) keys(%k : tensor<1x32x3x16xf32>) values(%v : tensor<1x32x1x8xf32>)
         decoder(%w : tensor<4x8x16xf32>) gate(%x : tensor<1x1x64xf32>) outs(%o : tensor<1x1x64xf32>) scale(0.25 : f32) -> tensor<1x1x64xf32>
  return
}

// -----

func.func @gta(%x: tensor<1x1x64xf32>, %q: tensor<1x1x4x16xf32>, %k: tensor<1x32x2x16xf32>, %v: tensor<1x32x3x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<1x1x64xf32>) {
  // expected-error @+1 {{head counts do not divide: 3 value heads for 4 score maps}}
  %y = attn.grouped_head_attention queries(%q : tensor<1x1x4x16xf32>) keys(%k : tensor<1x32x2x16xf32>) values(%v : tensor<1x32x3x8xf32>)
         decoder(%w : tensor<4x8x16xf32>) gate(%x : tensor<1x1x64xf32>) outs(%o : tensor<1x1x64xf32>) scale(0.25 : f32) -> tensor<1x1x64xf32>
  return
}

// -----

func.func @gta(%x: tensor<1x1x48xf32>, %q: tensor<1x1x4x16xf32>, %k: tensor<1x32x2x16xf32>, %v: tensor<1x32x1x8xf32>, %w: tensor<4x8x12xf32>, %o: tensor<1x1x48xf32>) {
  // expected-error @+1 {{decoder width 12 is not a multiple of the value width dl = 8}}
  %y = attn.grouped_head_attention queries(%q : tensor<1x1x4x16xf32>) keys(%k : tensor<1x32x2x16xf32>) values(%v : tensor<1x32x1x8xf32>)
         decoder(%w : tensor<4x8x12xf32>) gate(%x : tensor<1x1x48xf32>) outs(%o : tensor<1x1x48xf32>) scale(0.25 : f32) -> tensor<1x1x48xf32>
  return
}

// -----

func.func @gta(%x: tensor<1x1x32xf32>, %q: tensor<1x1x4x16xf32>, %k: tensor<1x32x2x16xf32>, %v: tensor<1x32x1x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<1x1x32xf32>) {
  // expected-error @+1 {{gate and output width D = 32 must be nq * e * dl = 64}}
  %y = attn.grouped_head_attention queries(%q : tensor<1x1x4x16xf32>) keys(%k : tensor<1x32x2x16xf32>) values(%v : tensor<1x32x1x8xf32>)
         decoder(%w : tensor<4x8x16xf32>) gate(%x : tensor<1x1x32xf32>) outs(%o : tensor<1x1x32xf32>) scale(0.25 : f32) -> tensor<1x1x32xf32>
  return
}

// -----

func.func @gta(%x: tensor<1x1x64xf32>, %q: tensor<1x1x4x16xf32>, %k: tensor<1x32x2x8xf32>, %v: tensor<1x32x1x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<1x1x64xf32>) {
  // expected-error @+1 {{keys has dq = 8 but queries has dq = 16}}
  %y = attn.grouped_head_attention queries(%q : tensor<1x1x4x16xf32>) keys(%k : tensor<1x32x2x8xf32>) values(%v : tensor<1x32x1x8xf32>)
         decoder(%w : tensor<4x8x16xf32>) gate(%x : tensor<1x1x64xf32>) outs(%o : tensor<1x1x64xf32>) scale(0.25 : f32) -> tensor<1x1x64xf32>
  return
}

// -----

func.func @gta(%x: tensor<1x1x64xf32>, %q: tensor<1x1x4x16xf32>, %k: tensor<1x32x2x16xf32>, %v: tensor<1x32x1x8xf32>, %w: tensor<3x8x16xf32>, %o: tensor<1x1x64xf32>) {
  // expected-error @+1 {{decoder has nq = 3 but queries has nq = 4}}
  %y = attn.grouped_head_attention queries(%q : tensor<1x1x4x16xf32>) keys(%k : tensor<1x32x2x16xf32>) values(%v : tensor<1x32x1x8xf32>)
         decoder(%w : tensor<3x8x16xf32>) gate(%x : tensor<1x1x64xf32>) outs(%o : tensor<1x1x64xf32>) scale(0.25 : f32) -> tensor<1x1x64xf32>
  return
}

// -----

func.func @gta(%x: tensor<1x1x64xf32>, %q: tensor<1x1x4x16xf32>, %k: tensor<1x32x2x16xf32>, %v: tensor<1x32x1x8xf32>, %w: tensor<4x8x16xf16>, %o: tensor<1x1x64xf32>) {
  // expected-error @+1 {{element type mismatch: decoder has 'f16' but queries has 'f32'}}
  %y = attn.grouped_head_attention queries(%q : tensor<1x1x4x16xf32>) keys(%k : tensor<1x32x2x16xf32>) values(%v : tensor<1x32x1x8xf32>)
         decoder(%w : tensor<4x8x16xf16>) gate(%x : tensor<1x1x64xf32>) outs(%o : tensor<1x1x64xf32>) scale(0.25 : f32) -> tensor<1x1x64xf32>
  return
}

// -----

func.func @gate(%c: tensor<1x8x4xf32>, %ids: tensor<1x8xf32>, %t: tensor<50x16xf32>, %wu: tensor<4x16xf32>, %nw: tensor<16xf32>, %o: tensor<1x8x16xf32>) {
  // expected-error @+1 {{ids must have element type i32 or i64, got 'f32'}}
  %u = attn.embedding_gate latent(%c : tensor<1x8x4xf32>) ids(%ids : tensor<1x8xf32>) table(%t : tensor<50x16xf32>)
         up_projection(%wu : tensor<4x16xf32>) norm_weight(%nw : tensor<16xf32>) outs(%o : tensor<1x8x16xf32>) norm = rms, epsilon = 1.0e-6 -> tensor<1x8x16xf32>
  return
}

// -----

func.func @gate(%c: tensor<1x8x4xf32>, %ids: tensor<1x8xi32>, %t: tensor<50x16xf32>, %wu: tensor<4x16xf32>, %nw: tensor<16xf32>, %o: tensor<1x8x16xf32>) {
  // expected-error @+1 {{epsilon must be positive and finite, got 0}}
  %u = attn.embedding_gate latent(%c : tensor<1x8x4xf32>) ids(%ids : tensor<1x8xi32>) table(%t : tensor<50x16xf32>)
         up_projection(%wu : tensor<4x16xf32>) norm_weight(%nw : tensor<16xf32>) outs(%o : tensor<1x8x16xf32>) norm = rms, epsilon = 0.0 -> tensor<1x8x16xf32>
  return
}

// -----

func.func @gate(%c: tensor<1x8x4xf32>, %ids: tensor<1x7xi32>, %t: tensor<50x16xf32>, %wu: tensor<4x16xf32>, %nw: tensor<16xf32>, %o: tensor<1x8x16xf32>) {
  // expected-error @+1 {{ids has T = 7 but latent has T = 8}}
  %u = attn.embedding_gate latent(%c : tensor<1x8x4xf32>) ids(%ids : tensor<1x7xi32>) table(%t : tensor<50x16xf32>)
         up_projection(%wu : tensor<4x16xf32>) norm_weight(%nw : tensor<16xf32>) outs(%o : tensor<1x8x16xf32>) norm = rms, epsilon = 1.0e-6 -> tensor<1x8x16xf32>
  return
}

// -----

func.func @gate(%c: tensor<1x8x4xf32>, %ids: tensor<1x8xi32>, %t: tensor<50x16xf32>, %wu: tensor<4x8xf32>, %nw: tensor<16xf32>, %o: tensor<1x8x16xf32>) {
  // expected-error @+1 {{up_projection has du = 8 but table has du = 16}}
  %u = attn.embedding_gate latent(%c : tensor<1x8x4xf32>) ids(%ids : tensor<1x8xi32>) table(%t : tensor<50x16xf32>)
         up_projection(%wu : tensor<4x8xf32>) norm_weight(%nw : tensor<16xf32>) outs(%o : tensor<1x8x16xf32>) norm = rms, epsilon = 1.0e-6 -> tensor<1x8x16xf32>
  return
}

// -----

func.func @gate(%c: tensor<1x8x4xf32>, %ids: tensor<1x8xi32>, %t: tensor<50x16xf32>, %wu: tensor<4x16xf32>, %nw: tensor<1x16xf32>, %o: tensor<1x8x16xf32>) {
  // expected-error @+1 {{norm_weight must have rank 1 ([du]), got 'tensor<1x16xf32>'}}
  %u = attn.embedding_gate latent(%c : tensor<1x8x4xf32>) ids(%ids : tensor<1x8xi32>) table(%t : tensor<50x16xf32>)
         up_projection(%wu : tensor<4x16xf32>) norm_weight(%nw : tensor<1x16xf32>) outs(%o : tensor<1x8x16xf32>) norm = rms, epsilon = 1.0e-6 -> tensor<1x8x16xf32>
  return
}

// -----

func.func @gate(%c: tensor<1x8x4xf32>, %ids: tensor<1x8xi32>, %t: tensor<50x16xf16>, %wu: tensor<4x16xf32>, %nw: tensor<16xf32>, %o: tensor<1x8x16xf32>) {
  // expected-error @+1 {{element type mismatch: table has 'f16' but latent has 'f32'}}
  %u = attn.embedding_gate latent(%c : tensor<1x8x4xf32>) ids(%ids : tensor<1x8xi32>) table(%t : tensor<50x16xf16>)
         up_projection(%wu : tensor<4x16xf32>) norm_weight(%nw : tensor<16xf32>) outs(%o : tensor<1x8x16xf32>) norm = rms, epsilon = 1.0e-6 -> tensor<1x8x16xf32>
  return
}

// -----

#q = affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>
#v = affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>
#row = affine_map<(b, h, s, t, d, e) -> (b, h, s)>

// positions without a positional mask
func.func @frame(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>, %o: tensor<1x2x4x8xf32>,
                 %l16: tensor<1x2x4xf16>, %lt: tensor<1x4x2xf32>) {
  %c0 = arith.constant 0 : index
  %c6 = arith.constant 6 : index
  // expected-error @+1 {{positions(...) only matter to causal, sliding-window or kv_lengths masks, and this op has none}}
  %r = attn.attention queries(%q : tensor<1x2x4x8xf32>) keys(%k : tensor<1x2x8x8xf32>) values(%v : tensor<1x2x8x8xf32>)
         outs(%o : tensor<1x2x4x8xf32>) scale(1.0 : f32) positions(queries %c0 of 8, keys %c0 of 8)
         indexing_maps = [#q, #k, #v, #o] -> tensor<1x2x4x8xf32>
  return
}

// -----

#q = affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>
#v = affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>
#row = affine_map<(b, h, s, t, d, e) -> (b, h, s)>

// frame smaller than the op
func.func @frame(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>, %o: tensor<1x2x4x8xf32>,
                 %l16: tensor<1x2x4xf16>, %lt: tensor<1x4x2xf32>) {
  %c0 = arith.constant 0 : index
  %c6 = arith.constant 6 : index
  // expected-error @+1 {{positions frame 2x8 (queries x keys) is smaller than the op's own 4x8}}
  %r = attn.attention queries(%q : tensor<1x2x4x8xf32>) keys(%k : tensor<1x2x8x8xf32>) values(%v : tensor<1x2x8x8xf32>)
         outs(%o : tensor<1x2x4x8xf32>) scale(1.0 : f32) masking(causal) positions(queries %c0 of 2, keys %c0 of 8)
         indexing_maps = [#q, #k, #v, #o] -> tensor<1x2x4x8xf32>
  return
}

// -----

#q = affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>
#v = affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>
#row = affine_map<(b, h, s, t, d, e) -> (b, h, s)>

// offset outside the frame
func.func @frame(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>, %o: tensor<1x2x4x8xf32>,
                 %l16: tensor<1x2x4xf16>, %lt: tensor<1x4x2xf32>) {
  %c0 = arith.constant 0 : index
  %c6 = arith.constant 6 : index
  // expected-error @+1 {{query offset 6 puts 4 query positions outside [0, 8)}}
  %r = attn.attention queries(%q : tensor<1x2x4x8xf32>) keys(%k : tensor<1x2x8x8xf32>) values(%v : tensor<1x2x8x8xf32>)
         outs(%o : tensor<1x2x4x8xf32>) scale(1.0 : f32) masking(causal) positions(queries %c6 of 8, keys %c0 of 8)
         indexing_maps = [#q, #k, #v, #o] -> tensor<1x2x4x8xf32>
  return
}

// -----

#q = affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>
#v = affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>
#row = affine_map<(b, h, s, t, d, e) -> (b, h, s)>

// lse element type
func.func @frame(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>, %o: tensor<1x2x4x8xf32>,
                 %l16: tensor<1x2x4xf16>, %lt: tensor<1x4x2xf32>) {
  %c0 = arith.constant 0 : index
  %c6 = arith.constant 6 : index
  // expected-error @+1 {{log_sum_exp must have element type f32, got 'f16'}}
  %r:2 = attn.attention queries(%q : tensor<1x2x4x8xf32>) keys(%k : tensor<1x2x8x8xf32>) values(%v : tensor<1x2x8x8xf32>)
         outs(%o : tensor<1x2x4x8xf32>, log_sum_exp %l16 : tensor<1x2x4xf16>) scale(1.0 : f32)
         indexing_maps = [#q, #k, #v, #o, #row] -> tensor<1x2x4x8xf32>, tensor<1x2x4xf16>
  return
}

// -----

#q = affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>
#v = affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>
#row = affine_map<(b, h, s, t, d, e) -> (b, h, s)>

// lse map
func.func @frame(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>, %o: tensor<1x2x4x8xf32>,
                 %l16: tensor<1x2x4xf16>, %lt: tensor<1x4x2xf32>) {
  %c0 = arith.constant 0 : index
  %c6 = arith.constant 6 : index
  // expected-error @+1 {{log_sum_exp indexing map must be the output's without its N dimensions, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2)>, got affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d2, d1)>}}
  %r:2 = attn.attention queries(%q : tensor<1x2x4x8xf32>) keys(%k : tensor<1x2x8x8xf32>) values(%v : tensor<1x2x8x8xf32>)
         outs(%o : tensor<1x2x4x8xf32>, log_sum_exp %lt : tensor<1x4x2xf32>) scale(1.0 : f32)
         indexing_maps = [#q, #k, #v, #o, affine_map<(b, h, s, t, d, e) -> (b, s, h)>] -> tensor<1x2x4x8xf32>, tensor<1x4x2xf32>
  return
}

// -----

#q = affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>
#v = affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>
#row = affine_map<(b, h, s, t, d, e) -> (b, h, s)>

// lse shape
func.func @frame(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>, %o: tensor<1x2x4x8xf32>,
                 %l16: tensor<1x2x4xf16>, %lt: tensor<1x4x2xf32>) {
  %c0 = arith.constant 0 : index
  %c6 = arith.constant 6 : index
  // expected-error @+1 {{log_sum_exp has extent 4 in dimension 1 but 2 was expected}}
  %r:2 = attn.attention queries(%q : tensor<1x2x4x8xf32>) keys(%k : tensor<1x2x8x8xf32>) values(%v : tensor<1x2x8x8xf32>)
         outs(%o : tensor<1x2x4x8xf32>, log_sum_exp %lt : tensor<1x4x2xf32>) scale(1.0 : f32)
         indexing_maps = [#q, #k, #v, #o, #row] -> tensor<1x2x4x8xf32>, tensor<1x4x2xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %qr: tensor<1x1x4x4xf32>, %c: tensor<1x16x32xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x32x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{needs both q_rope and k_rope or neither, got only q_rope}}
  %r = attn.latent_attention queries(%qn, %qr : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) latent(%c : tensor<1x16x32xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x32x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32)  -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @latent(%qn: tensor<1x1x4x8xf32>, %c: tensor<1x16x32xf32>, %kr: tensor<1x16x4xf32>, %wuk: tensor<4x32x8xf32>, %wuv: tensor<4x32x8xf32>, %o: tensor<1x1x4x8xf32>) {
  // expected-error @+1 {{needs both q_rope and k_rope or neither, got only k_rope}}
  %r = attn.latent_attention queries(%qn : tensor<1x1x4x8xf32>) latent(%c, %kr : tensor<1x16x32xf32>, tensor<1x16x4xf32>)
         up_projections(%wuk, %wuv : tensor<4x32x8xf32>, tensor<4x32x8xf32>) outs(%o : tensor<1x1x4x8xf32>) scale(0.25 : f32)  -> tensor<1x1x4x8xf32>
  return
}
