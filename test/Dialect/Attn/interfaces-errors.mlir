// RUN: attn-opt %s --transform-interpreter --split-input-file --verify-diagnostics

// Tiles of attn.attention that its TilingInterface refuses, each with why.

#q = affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>
#v = affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>

// The key dimension tiled like a parallel one.
func.func @keys_as_parallel(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x12x16xf32>, %v: tensor<1x2x12x16xf32>,
                            %o: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  // expected-note @+5 {{when applied to this op}}
  // expected-warning @+4 {{tiling is not thread safe at axis #3}}
  // expected-error @+3 {{cannot tile K2 dimension d3 like a parallel one: a softmax row needs all of its keys. Split the keys as a partial reduction instead (transform.structured.tile_reduction_using_forall).}}
  // expected-error @+2 {{faild to tile operation}}
  // expected-error @+1 {{failed to generate tiling loops}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x2x12x16xf32>)
         values(%v : tensor<1x2x12x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [#q, #k, #v, #o] -> tensor<1x4x8x16xf32>
  return %r : tensor<1x4x8x16xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{transform.structured.tile_using_forall failed to apply}}
    %tiled, %loop = transform.structured.tile_using_forall %op tile_sizes [0, 0, 0, 4] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

#q = affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>
#v = affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>

// A tile of 3 of 8 queries: the last tile would have a dynamic size.
func.func @ragged_tile(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x12x16xf32>, %v: tensor<1x2x12x16xf32>,
                       %o: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  // expected-note @+4 {{when applied to this op}}
  // expected-error @+3 {{tile size of dimension d2 is not static; choose tile sizes that divide the extent 8}}
  // expected-error @+2 {{faild to tile operation}}
  // expected-error @+1 {{failed to generate tiling loops}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x2x12x16xf32>)
         values(%v : tensor<1x2x12x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [#q, #k, #v, #o] -> tensor<1x4x8x16xf32>
  return %r : tensor<1x4x8x16xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{transform.structured.tile_using_forall failed to apply}}
    %tiled, %loop = transform.structured.tile_using_forall %op tile_sizes [1, 1, 3] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

#q = affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>
#v = affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>

// Tiles of 2 query heads where 3 share one KV head: a tile would straddle
// two KV heads.
func.func @split_groups(%q: tensor<1x6x8x16xf32>, %k: tensor<1x2x12x16xf32>, %v: tensor<1x2x12x16xf32>,
                        %o: tensor<1x6x8x16xf32>) -> tensor<1x6x8x16xf32> {
  // expected-note @+4 {{when applied to this op}}
  // expected-error @+3 {{tile size 2 of batch dimension d1 splits the groups of 3 heads that share one head of the key; use a multiple or a divisor of 3}}
  // expected-error @+2 {{faild to tile operation}}
  // expected-error @+1 {{failed to generate tiling loops}}
  %r = attn.attention queries(%q : tensor<1x6x8x16xf32>) keys(%k : tensor<1x2x12x16xf32>)
         values(%v : tensor<1x2x12x16xf32>) outs(%o : tensor<1x6x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [#q, #k, #v, #o] -> tensor<1x6x8x16xf32>
  return %r : tensor<1x6x8x16xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{transform.structured.tile_using_forall failed to apply}}
    %tiled, %loop = transform.structured.tile_using_forall %op tile_sizes [1, 2] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

#q = affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>
#v = affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>

// Split-KV over the head dimension of the contraction.
func.func @split_head_dim(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x12x16xf32>, %v: tensor<1x2x12x16xf32>,
                          %o: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{split-KV splits the one key (K2) dimension d3 and nothing else}}
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x2x12x16xf32>)
         values(%v : tensor<1x2x12x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) indexing_maps = [#q, #k, #v, #o] -> tensor<1x4x8x16xf32>
  return %r : tensor<1x4x8x16xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{could not tile reduction}}
    %init, %share, %merge, %loop = transform.structured.tile_reduction_using_forall %op by num_threads = [0, 0, 0, 0, 2]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
