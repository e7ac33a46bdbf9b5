// Transform scripts for tiling-interface.test: upstream's tiling transform
// ops driving attn.attention's TilingInterface and PartialReductionOpInterface.
// Every op uses the dims (b, h, s, t, d, e); a tile size of 0 keeps a dim whole.

module attributes {transform.with_named_sequence} {
  // Parallel tiles: one head, 4 queries.
  transform.named_sequence @tile_queries(%root: !transform.any_op {transform.readonly}) {
    %ops = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loop = transform.structured.tile_using_forall %ops tile_sizes [1, 1, 4]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
  // Parallel tiles: two heads, 3 queries.
  transform.named_sequence @tile_queries_by_3(%root: !transform.any_op {transform.readonly}) {
    %ops = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loop = transform.structured.tile_using_forall %ops tile_sizes [1, 2, 3]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
  // Split-KV: 4 key shares in parallel, merged by log-sum-exp.
  transform.named_sequence @split_keys_4(%root: !transform.any_op {transform.readonly}) {
    %ops = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %init, %share, %merge, %loop = transform.structured.tile_reduction_using_forall %ops
        by num_threads = [0, 0, 0, 4]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
  transform.named_sequence @split_keys_5(%root: !transform.any_op {transform.readonly}) {
    %ops = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %init, %share, %merge, %loop = transform.structured.tile_reduction_using_forall %ops
        by num_threads = [0, 0, 0, 5]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
  // Both: 3 key shares, then each share (which has a log_sum_exp output and
  // a positions frame of its own) tiled by one head and 3 queries.
  transform.named_sequence @split_then_tile(%root: !transform.any_op {transform.readonly}) {
    %ops = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %init, %share, %merge, %loop = transform.structured.tile_reduction_using_forall %ops
        by num_threads = [0, 0, 0, 3]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    %tiled, %inner = transform.structured.tile_using_forall %share tile_sizes [1, 1, 3]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}
