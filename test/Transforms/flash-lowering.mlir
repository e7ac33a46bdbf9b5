// RUN: attn-opt %s --attn-flash-lowering="query-tile=4 key-tile=8 kv-splits=2" --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-flash-lowering="query-tile=4 key-tile=8 kv-splits=2 bf16-dot=1" --split-input-file | FileCheck %s --check-prefix=BF16DOT
// RUN: attn-opt %s --attn-flash-lowering="query-tile=4 key-tile=8 kv-splits=2 bf16-dot=1 bf16-probabilities=1" --split-input-file | FileCheck %s --check-prefix=BF16P

// GQA, causal, S = 6 queries against T = 20 keys with 4 x 8 tiles. The two
// query heads that share a KV head are packed: the forall runs over (batch,
// KV group, full query tiles), and a tile's 8 rows are (head, query) pairs,
// head-major. The query tile is transposed once, before the key loop, as
// [d, head, query] collapsed to [d, rows]; scores are [keys, rows]. The key
// loop visits the full key tiles the tile can see, then the 4-key remainder
// tile; K and V are sliced at the group's KV head. A remainder forall handles
// the last 2 queries.

// CHECK-LABEL: func.func @gqa_causal
// CHECK-SAME:    %[[Q:[^:]*]]: tensor<1x4x6x16xf32>, %[[K:[^:]*]]: tensor<1x2x20x16xf32>
// CHECK:       %[[FULL:.*]] = scf.forall (%[[B:.*]], %[[G:.*]], %[[QT:.*]]) in (1, 2, 1) shared_outs(%[[OUT:.*]] = %{{.*}})
// CHECK:         %[[H0:.*]] = arith.muli %[[G]], %c2 : index
// CHECK:         %[[OUT_TILE:.*]] = tensor.extract_slice %[[OUT]][%[[B]], %[[H0]], %[[Q0:.*]], 0] [1, 2, 4, 16] {{.*}} to tensor<2x4x16xf32>
//                Causal: the tile's last query sees keys below q0 + 4 + T - S.
// CHECK:         %[[LAST:.*]] = arith.addi %[[Q0]], %{{.*}} : index
// CHECK:         %[[HI:.*]] = arith.minsi %{{.*}}, %[[LAST]] : index
// CHECK:         %[[END:.*]] = arith.ceildivui %{{.*}}, %c8 : index
// CHECK:         %[[QSLICE:.*]] = tensor.extract_slice %[[Q]][%[[B]], %[[H0]], %[[Q0]], 0] [1, 2, 4, 16] {{.*}} to tensor<2x4x16xf32>
// CHECK:         %[[QT3:.*]] = linalg.generic {{.*}} ins(%[[QSLICE]] : tensor<2x4x16xf32>) outs(%{{.*}} : tensor<16x2x4xf32>)
// CHECK:         %[[QTR:.*]] = tensor.collapse_shape %[[QT3]] {{\[\[}}0], [1, 2]] : tensor<16x2x4xf32> into tensor<16x8xf32>
// CHECK:         %[[STATE:.*]]:3 = scf.for %[[J:.*]] = %{{.*}} to %[[END]] step %c1 iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<8xf32>, tensor<8xf32>, tensor<8x16xf32>)
// CHECK:           %[[K0:.*]] = arith.muli %[[J]], %c8
// CHECK:           %[[KV:.*]] = arith.divui %[[H0]], %c2
// CHECK:           %[[KTILE:.*]] = tensor.extract_slice %[[K]][%[[B]], %[[KV]], %[[K0]], 0] [1, 1, 8, 16] {{.*}} to tensor<8x16xf32>
// CHECK:           linalg.generic {{.*}} ins(%[[KTILE]], %[[QTR]] : tensor<8x16xf32>, tensor<16x8xf32>) outs(%{{.*}} : tensor<8x8xf32>)
// CHECK-NOT:         attn_codegen.streamed_key_tile
//                  The query position of row r is q0 + r mod 4.
// CHECK:             arith.remui %{{.*}}, %c4{{.*}} : index
// CHECK:           arith.maximumf
// CHECK:           math.exp
// CHECK:           scf.yield
// CHECK:         tensor.extract_slice %[[K]][%[[B]], %{{.*}}, %c16{{.*}}, 0] [1, 1, 4, 16]
// CHECK:         %[[ACC:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [2, 4, 16] : tensor<8x16xf32> into tensor<2x4x16xf32>
// CHECK:         %[[TILE:.*]] = linalg.generic {{.*}} ins(%[[ACC]], %{{.*}} : tensor<2x4x16xf32>, tensor<2x4xf32>) outs(%[[OUT_TILE]] : tensor<2x4x16xf32>)
// CHECK:           arith.divf
// CHECK:         scf.forall.in_parallel
// CHECK:           tensor.parallel_insert_slice %[[TILE]] into %[[OUT]][%[[B]], %[[H0]], %[[Q0]], 0] [1, 2, 4, 16]
// CHECK:       scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (1, 2, 1) shared_outs(%{{.*}} = %[[FULL]])
// CHECK:         tensor.extract_slice %{{.*}} [1, 2, 2, 16]
// CHECK-NOT:   attn.attention
func.func @gqa_causal(%q: tensor<1x4x6x16xf32>, %k: tensor<1x2x20x16xf32>,
                      %v: tensor<1x2x20x16xf32>, %o: tensor<1x4x6x16xf32>) -> tensor<1x4x6x16xf32> {
  %r = attn.attention queries(%q : tensor<1x4x6x16xf32>) keys(%k : tensor<1x2x20x16xf32>)
         values(%v : tensor<1x2x20x16xf32>) outs(%o : tensor<1x4x6x16xf32>)
         scale(0.25 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x4x6x16xf32>
  return %r : tensor<1x4x6x16xf32>
}

// -----

// kv_lengths: the valid length is read once per (batch, query tile) and
// bounds the key loop.

// CHECK-LABEL: func.func @lengths
// CHECK-SAME:    %[[LEN:[^:]*]]: tensor<2xi32>
// CHECK:       scf.forall (%[[B:.*]], %{{.*}}, %{{.*}}) in (2, 2, 1)
// CHECK:         %[[L:.*]] = tensor.extract %[[LEN]][%[[B]]] : tensor<2xi32>
// CHECK:         %[[LI:.*]] = arith.index_cast %[[L]] : i32 to index
// CHECK:         arith.minsi %[[LI]], %c16{{.*}} : index
// CHECK:         scf.for
func.func @lengths(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x16x8xf32>, %v: tensor<2x2x16x8xf32>,
                   %len: tensor<2xi32>, %o: tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32> {
  %r = attn.attention queries(%q : tensor<2x2x4x8xf32>) keys(%k : tensor<2x2x16x8xf32>)
         values(%v : tensor<2x2x16x8xf32>) kv_lengths(%len : tensor<2xi32>) outs(%o : tensor<2x2x4x8xf32>)
         scale(0.35 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<2x2x4x8xf32>
  return %r : tensor<2x2x4x8xf32>
}

// -----

// An op with no query (M) dimension (a decode step whose unit query dim
// raising dropped) gets one of extent 1 in its queries and output, by views,
// and is tiled like any decode step.

// CHECK-LABEL: func.func @no_query_dim
// CHECK:       %[[Q:.*]] = tensor.expand_shape %arg0 {{\[}}[0], [1, 2]] output_shape [2, 1, 8] : tensor<2x8xf32> into tensor<2x1x8xf32>
// CHECK:       %[[O:.*]] = tensor.expand_shape %arg3 {{\[}}[0], [1, 2]] output_shape [2, 1, 8] : tensor<2x8xf32> into tensor<2x1x8xf32>
// CHECK:       %[[R:.*]] = scf.forall {{.*}} shared_outs(%{{.*}} = %[[O]]) -> (tensor<2x1x8xf32>)
// CHECK-NOT:   attn.attention
// CHECK:       %[[C:.*]] = tensor.collapse_shape %[[R]] {{\[}}[0], [1, 2]] : tensor<2x1x8xf32> into tensor<2x8xf32>
// CHECK:       return %[[C]]
func.func @no_query_dim(%q: tensor<2x8xf32>, %k: tensor<2x16x8xf32>, %v: tensor<2x16x8xf32>,
                        %o: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %r = attn.attention queries(%q : tensor<2x8xf32>) keys(%k : tensor<2x16x8xf32>)
         values(%v : tensor<2x16x8xf32>) outs(%o : tensor<2x8xf32>) scale(0.35 : f32)
         indexing_maps = [
           affine_map<(b, t, d, e) -> (b, d)>,
           affine_map<(b, t, d, e) -> (b, t, d)>,
           affine_map<(b, t, d, e) -> (b, t, e)>,
           affine_map<(b, t, d, e) -> (b, e)>]
         -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

// Query heads that are M dims beside the query position (MLA's absorbed
// form over a latent [B, T, C] without a head dim, with the heads ahead of
// the one query in the iteration space) become batch dims along which the
// key and value are grouped with extent 1, by views: the heads are packed
// into the rows of one tile (16 rows: the partial row statistics of each of
// the 2 key splits are [16]), and each key tile is read once.

// CHECK-LABEL: func.func @row_dims_grouped
// CHECK:       %[[K:.*]] = tensor.expand_shape %arg1 {{\[}}[0, 1], [2], [3]] output_shape [1, 1, 64, 32] : tensor<1x64x32xf32> into tensor<1x1x64x32xf32>
// CHECK:       scf.forall {{.*}} -> (tensor<1x1x1x2x16xf32>, tensor<1x1x1x2x16xf32>, tensor<1x1x1x2x16x32xf32>)
// CHECK-NOT:   attn.attention
func.func @row_dims_grouped(%q: tensor<1x16x1x32xf32>, %l: tensor<1x64x32xf32>) -> tensor<1x16x1x32xf32> {
  %init = tensor.empty() : tensor<1x16x1x32xf32>
  %o = attn.attention queries(%q : tensor<1x16x1x32xf32>) keys(%l : tensor<1x64x32xf32>)
         values(%l : tensor<1x64x32xf32>) outs(%init : tensor<1x16x1x32xf32>) scale(0.17 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, c, e) -> (b, h, s, c)>,
           affine_map<(b, h, s, t, c, e) -> (b, t, c)>,
           affine_map<(b, h, s, t, c, e) -> (b, t, e)>,
           affine_map<(b, h, s, t, c, e) -> (b, h, s, e)>]
         -> tensor<1x16x1x32xf32>
  return %o : tensor<1x16x1x32xf32>
}

// -----

// Split-KV: one parallel tile (all 4 heads share the one K/V head), so with
// kv-splits=2 a first forall computes per-split partial row max, row sum and
// accumulator, and a second merges them with a log-sum-exp combine. With 4
// rows (fewer than a vector), scores are dot products along the head dim:
// the query tile is [rows, d], not transposed, and the score tile is
// [rows, keys], so that the softmax runs along the keys.

// CHECK-LABEL: func.func @split_kv
// CHECK:       %[[PARTIAL:.*]]:3 = scf.forall (%{{.*}}, %{{.*}}, %{{.*}}, %[[SPLIT:.*]]) in (1, 1, 1, 2) shared_outs(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<1x1x1x2x4xf32>, tensor<1x1x1x2x4xf32>, tensor<1x1x1x2x4x8xf32>)
// CHECK:         arith.ceildivui
// CHECK:         %[[QROWS:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<4x1x8xf32> into tensor<4x8xf32>
// CHECK:         scf.for
// CHECK:           linalg.generic {{.*}} ins(%{{.*}}, %[[QROWS]] : tensor<8x8xf32>, tensor<4x8xf32>) outs(%{{.*}} : tensor<4x8xf32>)
//                  The row max reduces along the keys, the innermost dimension.
// CHECK:           linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%{{.*}} : tensor<4x8xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK:             arith.maximumf
//                Only the last split takes the 4-key remainder tile.
// CHECK:         %[[LAST:.*]] = arith.cmpi eq, %[[SPLIT]], %c1{{.*}} : index
// CHECK:         scf.if %[[LAST]]
// CHECK:         scf.forall.in_parallel
// CHECK:           tensor.parallel_insert_slice %{{.*}} into %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %[[SPLIT]], 0] [1, 1, 1, 1, 4]
// CHECK:       scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (1, 1, 1) shared_outs(%{{.*}} = %{{.*}})
// CHECK:         %[[M:.*]] = tensor.extract_slice %[[PARTIAL]]#0{{.*}} to tensor<2x4xf32>
// CHECK:         %[[MAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[M]] : tensor<2x4xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[M]], %[[MAX]], %{{.*}} : tensor<2x4xf32>, tensor<4xf32>, tensor<2x4xf32>)
// CHECK:           math.exp
// CHECK:         linalg.generic {{.*}} ins(%[[M]], %[[MAX]], %{{.*}} : tensor<2x4xf32>, tensor<4xf32>, tensor<2x4x8xf32>)
// CHECK:           math.exp
// CHECK:         tensor.parallel_insert_slice
func.func @split_kv(%q: tensor<1x4x1x8xf32>, %k: tensor<1x1x20x8xf32>, %v: tensor<1x1x20x8xf32>,
                    %o: tensor<1x4x1x8xf32>) -> tensor<1x4x1x8xf32> {
  %r = attn.attention queries(%q : tensor<1x4x1x8xf32>) keys(%k : tensor<1x1x20x8xf32>)
         values(%v : tensor<1x1x20x8xf32>) outs(%o : tensor<1x4x1x8xf32>) scale(0.35 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x4x1x8xf32>
  return %r : tensor<1x4x1x8xf32>
}

// -----

// A tile of a larger causal attention, with a log-sum-exp output: its
// queries sit at %q0 and its keys at %k0 of a 64 x 64 attention. The valid
// length becomes 64 - %k0 in local key positions, and the mask compares
// against queries at %q0 + row. One query tile and kv-splits=2: two key
// splits, merged per row; lse = max + log(sum) of the merged state goes to
// the merge's second shared output.
#q = affine_map<(b, s, t, d, e) -> (b, s, d)>
#k = affine_map<(b, s, t, d, e) -> (b, t, d)>
#v = affine_map<(b, s, t, d, e) -> (b, t, e)>
#o = affine_map<(b, s, t, d, e) -> (b, s, e)>
#row = affine_map<(b, s, t, d, e) -> (b, s)>

// CHECK-LABEL: func.func @tile_with_log_sum_exp
// CHECK-SAME:    %[[LSE:[^:]*]]: tensor<1x4xf32>, %[[Q0:[^:]*]]: index, %[[K0:[^:]*]]: index
// CHECK:       scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (1, 1, 2) shared_outs(
// CHECK:         %[[LEN:.*]] = arith.subi %c64, %[[K0]] : index
// CHECK:         %[[FRAMEQ:.*]] = arith.addi %{{.*}}, %[[Q0]] : index
// CHECK:         scf.for
// CHECK:           %[[ROWQ0:.*]] = arith.addi %{{.*}}, %[[Q0]] : index
// CHECK:           linalg.generic
//                  Decode scores are [rows, keys]: the row is index 0.
// CHECK:             %[[KEY:.*]] = linalg.index 1 : index
// CHECK:             arith.addi %{{.*}}, %[[KEY]] : index
// CHECK:             %[[ROW:.*]] = linalg.index 0 : index
// CHECK:             arith.addi %[[ROWQ0]], %[[ROW]] : index
// CHECK:       scf.forall (%{{.*}}, %{{.*}}) in (1, 1) shared_outs(%[[OUT:.*]] = %{{.*}}, %[[LOUT:.*]] = %[[LSE]])
// CHECK:         %[[LTILE:.*]] = tensor.extract_slice %[[LOUT]]
// CHECK:         %[[LVAL:.*]] = linalg.generic {{.*}} outs(%[[LTILE]] : tensor<4xf32>)
// CHECK:           math.log
// CHECK:         tensor.parallel_insert_slice %[[LVAL]] into %[[LOUT]]
func.func @tile_with_log_sum_exp(%q: tensor<1x4x16xf32>, %k: tensor<1x16x16xf32>, %v: tensor<1x16x16xf32>,
                                 %o: tensor<1x4x16xf32>, %lse: tensor<1x4xf32>, %q0: index, %k0: index)
    -> (tensor<1x4x16xf32>, tensor<1x4xf32>) {
  %r:2 = attn.attention queries(%q : tensor<1x4x16xf32>) keys(%k : tensor<1x16x16xf32>)
         values(%v : tensor<1x16x16xf32>) outs(%o : tensor<1x4x16xf32>, log_sum_exp %lse : tensor<1x4xf32>)
         scale(0.25 : f32) masking(causal) positions(queries %q0 of 64, keys %k0 of 64)
         indexing_maps = [#q, #k, #v, #o, #row] -> tensor<1x4x16xf32>, tensor<1x4xf32>
  return %r#0, %r#1 : tensor<1x4x16xf32>, tensor<1x4xf32>
}

// -----

// bf16 decode: dot-product scores read each query row once per key, so the
// [rows, d] query tile is widened to f32 once, before the key loop; the keys
// stay bf16 and are widened where they are read.
// CHECK-LABEL: func.func @bf16_decode
// CHECK:       %[[QF32:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<2x1x8xbf16>) outs(%{{.*}} : tensor<2x1x8xf32>)
// CHECK:         arith.extf %{{.*}} : bf16 to f32
// CHECK:       %[[QROWS:.*]] = tensor.collapse_shape %[[QF32]] {{\[\[}}0, 1], [2]] : tensor<2x1x8xf32> into tensor<2x8xf32>
// CHECK:       scf.for
// The decode tile streams K and V once: its two contractions are marked for
// attn-vectorize-tiles to prefetch the next key tile, K along dimension 2 of
// keys (input 0 of the scores), V along dimension 2 of values (input 1 of
// P.V). Prefill contractions, whose K/V tiles several query tiles share,
// are not marked (@gqa_causal).
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %[[QROWS]] : tensor<8x8xbf16>, tensor<2x8xf32>) outs(%{{.*}} : tensor<2x8xf32>)
// CHECK-SAME:      attn_codegen.streamed_key_tile = array<i64: 2, -1>
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<8x8xbf16>)
// CHECK-SAME:      attn_codegen.streamed_key_tile = array<i64: -1, 2>
// With bf16-dot (a target that multiplies bf16 pairs: vdpbf16ps) the query
// tile stays bf16 and the scores read both operands in bf16.
// BF16DOT-LABEL: func.func @bf16_decode
// BF16DOT-NOT:   tensor<2x1x8xf32>
// BF16DOT:       %[[Q:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x1x8xbf16> into tensor<2x8xbf16>
// BF16DOT:       scf.for
// BF16DOT:         linalg.generic {{.*}} ins(%{{.*}}, %[[Q]] : tensor<8x8xbf16>, tensor<2x8xbf16>) outs(%{{.*}} : tensor<2x8xf32>)
// BF16DOT:           arith.extf %{{.*}} : bf16 to f32
// BF16DOT:           arith.extf %{{.*}} : bf16 to f32
// Without bf16-probabilities the probabilities stay f32.
// BF16DOT-NOT:     arith.truncf
// BF16DOT:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<8x8xbf16>)
// With bf16-probabilities too, the probabilities against bf16 values are
// rounded to bf16; the row sum adds the rounded values in f32, and P.V reads
// both operands in bf16 (for attn-vectorize-tiles' key pairs).
// BF16P-LABEL: func.func @bf16_decode
// BF16P:       scf.for
// BF16P:         %[[P:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<2xf32>) outs(%{{.*}} : tensor<2x8xbf16>)
// BF16P:           math.exp
// BF16P:           arith.truncf %{{.*}} : f32 to bf16
// BF16P:         linalg.generic {{.*}} ins(%[[P]] : tensor<2x8xbf16>) outs(%{{.*}} : tensor<2xf32>)
// BF16P:           arith.extf %{{.*}} : bf16 to f32
// BF16P:           arith.addf
// BF16P:         linalg.generic {{.*}} ins(%[[P]], %{{.*}} : tensor<2x8xbf16>, tensor<8x8xbf16>) outs(%{{.*}} : tensor<2x8xf32>)
// BF16P-SAME:      attn_codegen.streamed_key_tile = array<i64: -1, 2>
func.func @bf16_decode(%q: tensor<1x2x1x8xbf16>, %k: tensor<1x1x16x8xbf16>, %v: tensor<1x1x16x8xbf16>,
                       %o: tensor<1x2x1x8xf32>) -> tensor<1x2x1x8xf32> {
  %r = attn.attention queries(%q : tensor<1x2x1x8xbf16>) keys(%k : tensor<1x1x16x8xbf16>)
         values(%v : tensor<1x1x16x8xbf16>) outs(%o : tensor<1x2x1x8xf32>) scale(0.35 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x2x1x8xf32>
  return %r : tensor<1x2x1x8xf32>
}

// -----

// A decode tile of 8 packed heads takes outer-product contractions, not dot
// products; it still reads each K/V tile once, so both are marked streamed.
// CHECK-LABEL: func.func @packed_decode
// CHECK:       scf.for
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<8x8xf32>, tensor<8x8xf32>) outs(%{{.*}} : tensor<8x8xf32>)
// CHECK-SAME:      attn_codegen.streamed_key_tile = array<i64: 2, -1>
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<8x8xf32>, tensor<8x8xf32>) outs(%{{.*}} : tensor<8x8xf32>)
// CHECK-SAME:      attn_codegen.streamed_key_tile = array<i64: -1, 2>
func.func @packed_decode(%q: tensor<1x8x1x8xf32>, %k: tensor<1x1x16x8xf32>, %v: tensor<1x1x16x8xf32>,
                         %o: tensor<1x8x1x8xf32>) -> tensor<1x8x1x8xf32> {
  %r = attn.attention queries(%q : tensor<1x8x1x8xf32>) keys(%k : tensor<1x1x16x8xf32>)
         values(%v : tensor<1x1x16x8xf32>) outs(%o : tensor<1x8x1x8xf32>) scale(0.35 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x8x1x8xf32>
  return %r : tensor<1x8x1x8xf32>
}

// -----

// An outer-product tile (16 packed heads) of bf16 queries, keys and values:
// its scores are [keys, rows]; with bf16-probabilities the probabilities are
// rounded into a transposed [rows, keys] bf16 copy, which the row sum adds
// and P.V reads, so that key pairs are contiguous as in a dot-product tile.
// BF16P-LABEL: func.func @bf16_packed_decode
// BF16P:       scf.for
// BF16P:         %[[P:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<8x16xf32>, tensor<16xf32>) outs(%{{.*}} : tensor<8x16xf32>)
// BF16P:           math.exp
// BF16P:         %[[PT:.*]] = linalg.generic {{.*}} ins(%[[P]] : tensor<8x16xf32>) outs(%{{.*}} : tensor<16x8xbf16>)
// BF16P:           arith.truncf %{{.*}} : f32 to bf16
// BF16P:         linalg.generic {{.*}} ins(%[[PT]] : tensor<16x8xbf16>) outs(%{{.*}} : tensor<16xf32>)
// BF16P:           arith.extf %{{.*}} : bf16 to f32
// BF16P:         linalg.generic {{.*}} ins(%[[PT]], %{{.*}} : tensor<16x8xbf16>, tensor<8x16xbf16>) outs(%{{.*}} : tensor<16x16xf32>)
// BF16P-SAME:      attn_codegen.streamed_key_tile = array<i64: -1, 2>
// Without it, P.V reads the f32 scores' layout.
// BF16DOT-LABEL: func.func @bf16_packed_decode
// BF16DOT-NOT:     arith.truncf
// BF16DOT:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<8x16xf32>, tensor<8x16xbf16>) outs(%{{.*}} : tensor<16x16xf32>)
func.func @bf16_packed_decode(%q: tensor<1x16x1x16xbf16>, %k: tensor<1x1x16x16xbf16>, %v: tensor<1x1x16x16xbf16>,
                              %o: tensor<1x16x1x16xf32>) -> tensor<1x16x1x16xf32> {
  %r = attn.attention queries(%q : tensor<1x16x1x16xbf16>) keys(%k : tensor<1x1x16x16xbf16>)
         values(%v : tensor<1x1x16x16xbf16>) outs(%o : tensor<1x16x1x16xf32>) scale(0.25 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x16x1x16xf32>
  return %r : tensor<1x16x1x16xf32>
}

// -----

// An op's lowering_config, not the pass options, sets its tiles: 2 queries
// by 4 keys here (the options say 4 by 8): the forall runs over 2 query
// tiles of 2, and each key step reads 4 keys.

// CHECK-LABEL: func.func @lowering_config
// CHECK:       scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (1, 2, 2)
// CHECK:         tensor.extract_slice %arg0{{.*}} [1, 1, 2, 8] [1, 1, 1, 1] : tensor<1x2x4x8xf32> to tensor<2x8xf32>
// CHECK:         scf.for
// CHECK:           tensor.extract_slice %arg1{{.*}} [1, 1, 4, 8] [1, 1, 1, 1] : tensor<1x2x16x8xf32> to tensor<4x8xf32>
func.func @lowering_config(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>,
                           %o: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %r = attn.attention queries(%q : tensor<1x2x4x8xf32>) keys(%k : tensor<1x2x16x8xf32>)
         values(%v : tensor<1x2x16x8xf32>) outs(%o : tensor<1x2x4x8xf32>)
         scale(0.35 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         {lowering_config = #attn_codegen.flash<query_tile = 2, key_tile = 4, kv_splits = 1,
            min_outer_product_rows = 8, bf16_dot = false, bf16_probabilities = false, prefetch = true>}
         -> tensor<1x2x4x8xf32>
  return %r : tensor<1x2x4x8xf32>
}

// -----

// With amx (a target with AMX tiles; its lowering_config here), a tile of 16
// packed heads of bf16 runs its key steps of 32 keys on AMX tiles: the
// transposed query tile [d, rows] is packed once, before the key loop, in
// VNNI pairs of rows ([d/2, rows, 2]); each step's scores start from a fill
// marked for AMX, multiply the K rows in place (viewed [keys, d/2, 2])
// with the packed queries, and P.V multiplies the bf16 probabilities
// [rows, keys] (viewed [rows, keys/2, 2]) with the V tile packed in pairs
// of keys. Every AMX op is marked attn_codegen.amx for attn-x86-amx-tiles.
// The tile's row max and the new max m' go to buffers of their own
// (bufferization.alloc_tensor, which CSE does not merge with the loop's
// initial max), and m' is copied into the max buffer the loop carries:
// no buffer allocated per key step. The remainder step of 16 keys is not
// whole pairs of tile rows (32 bf16): it stays on vectors, unmarked.
// CHECK-LABEL: func.func @amx_packed_decode
// CHECK:       %[[QT:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : tensor<32x16x1xbf16> into tensor<32x16xbf16>
// CHECK:       %[[QROWS:.*]] = tensor.expand_shape %[[QT]] {{\[\[}}0, 1], [2]] output_shape [16, 2, 16] : tensor<32x16xbf16> into tensor<16x2x16xbf16>
// CHECK:       %[[QV:.*]] = linalg.generic {indexing_maps = [#[[PACKIN:.*]], #[[PACKOUT:.*]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[QROWS]] : tensor<16x2x16xbf16>) outs(%{{.*}} : tensor<16x16x2xbf16>) attrs = {attn_codegen.amx}
// CHECK:       scf.for
// CHECK:         %[[S0:.*]] = linalg.fill {attn_codegen.amx} ins(%{{.*}} : f32) outs(%{{.*}} : tensor<32x16xf32>)
// CHECK:         %[[KT:.*]] = tensor.extract_slice %arg1{{.*}} [1, 1, 32, 32] [1, 1, 1, 1] : tensor<1x1x48x32xbf16> to tensor<32x32xbf16>
// CHECK:         %[[KP:.*]] = tensor.expand_shape %[[KT]] {{\[\[}}0], [1, 2]] output_shape [32, 16, 2] : tensor<32x32xbf16> into tensor<32x16x2xbf16>
// CHECK:         linalg.generic {indexing_maps = [#[[A:.*]], #[[B:.*]], #[[C:.*]]], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%[[KP]], %[[QV]] : tensor<32x16x2xbf16>, tensor<16x16x2xbf16>) outs(%[[S0]] : tensor<32x16xf32>) attrs = {attn_codegen.amx}
// CHECK:         %[[TILEMAXINIT:.*]] = bufferization.alloc_tensor() : tensor<16xf32>
// CHECK:         %[[TILEMAX:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<16xf32>)
// CHECK:         %[[NEWMAXINIT:.*]] = bufferization.alloc_tensor() : tensor<16xf32>
// CHECK:         %[[NEWMAX:.*]] = linalg.generic {{.*}} ins(%[[OLDMAX:[^,]*]], %[[TILEMAX]] : tensor<16xf32>, tensor<16xf32>) outs(%[[NEWMAXINIT]] : tensor<16xf32>)
// CHECK:         %[[P:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<16x32xbf16>)
// CHECK:         %[[VT:.*]] = tensor.extract_slice %arg2{{.*}} [1, 1, 32, 16] [1, 1, 1, 1] : tensor<1x1x48x16xbf16> to tensor<32x16xbf16>
// CHECK:         %[[VROWS:.*]] = tensor.expand_shape %[[VT]] {{\[\[}}0, 1], [2]] output_shape [16, 2, 16] : tensor<32x16xbf16> into tensor<16x2x16xbf16>
// CHECK:         %[[VV:.*]] = linalg.generic {indexing_maps = [#[[PACKIN]], #[[PACKOUT]]], {{.*}} ins(%[[VROWS]] : tensor<16x2x16xbf16>) outs(%{{.*}} : tensor<16x16x2xbf16>) attrs = {attn_codegen.amx}
// CHECK:         %[[PP:.*]] = tensor.expand_shape %[[P]] {{\[\[}}0], [1, 2]] output_shape [16, 16, 2] : tensor<16x32xbf16> into tensor<16x16x2xbf16>
// CHECK:         %[[ACC:.*]] = linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], {{.*}} ins(%[[PP]], %[[VV]] : tensor<16x16x2xbf16>, tensor<16x16x2xbf16>) outs(%{{.*}} : tensor<16x16xf32>) attrs = {attn_codegen.amx}
// CHECK:         %[[MAX:.*]] = bufferization.materialize_in_destination %[[NEWMAX]] in %[[OLDMAX]] : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
// CHECK:         scf.yield %[[MAX]], %{{.*}}, %[[ACC]]
// CHECK:       tensor.extract_slice %arg1{{.*}} [1, 1, 16, 32] [1, 1, 1, 1] : tensor<1x1x48x32xbf16> to tensor<16x32xbf16>
// CHECK-NOT:   attn_codegen.amx
// CHECK:       scf.forall.in_parallel
func.func @amx_packed_decode(%q: tensor<1x16x1x32xbf16>, %k: tensor<1x1x48x32xbf16>, %v: tensor<1x1x48x16xbf16>,
                             %o: tensor<1x16x1x16xf32>) -> tensor<1x16x1x16xf32> {
  %r = attn.attention queries(%q : tensor<1x16x1x32xbf16>) keys(%k : tensor<1x1x48x32xbf16>)
         values(%v : tensor<1x1x48x16xbf16>) outs(%o : tensor<1x16x1x16xf32>) scale(0.25 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         {lowering_config = #attn_codegen.flash<query_tile = 1, key_tile = 32, kv_splits = 1,
            min_outer_product_rows = 8, bf16_dot = true, bf16_probabilities = true, prefetch = true,
            amx = true>}
         -> tensor<1x16x1x16xf32>
  return %r : tensor<1x16x1x16xf32>
}

// -----

// A GQA decode tile of 4 packed heads is below AMX's 16 rows: with amx its
// key steps stay on vectors.
// CHECK-LABEL: func.func @amx_narrow_decode
// CHECK-NOT:   attn_codegen.amx
// CHECK:       return
func.func @amx_narrow_decode(%q: tensor<1x4x1x32xbf16>, %k: tensor<1x1x64x32xbf16>, %v: tensor<1x1x64x32xbf16>,
                             %o: tensor<1x4x1x32xf32>) -> tensor<1x4x1x32xf32> {
  %r = attn.attention queries(%q : tensor<1x4x1x32xbf16>) keys(%k : tensor<1x1x64x32xbf16>)
         values(%v : tensor<1x1x64x32xbf16>) outs(%o : tensor<1x4x1x32xf32>) scale(0.25 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         {lowering_config = #attn_codegen.flash<query_tile = 1, key_tile = 32, kv_splits = 1,
            min_outer_product_rows = 8, bf16_dot = true, bf16_probabilities = true, prefetch = true,
            amx = true>}
         -> tensor<1x4x1x32xf32>
  return %r : tensor<1x4x1x32xf32>
}

// -----

// K stored [batch, key, d, head] with two KV heads: a key row of one head
// is strided, not a tile row that AMX loads in place, so the tiles stay on
// vectors.
// CHECK-LABEL: func.func @amx_strided_keys
// CHECK-NOT:   attn_codegen.amx
// CHECK:       return
func.func @amx_strided_keys(%q: tensor<1x32x1x32xbf16>, %k: tensor<1x32x32x2xbf16>, %v: tensor<1x2x32x16xbf16>,
                            %o: tensor<1x32x1x16xf32>) -> tensor<1x32x1x16xf32> {
  %r = attn.attention queries(%q : tensor<1x32x1x32xbf16>) keys(%k : tensor<1x32x32x2xbf16>)
         values(%v : tensor<1x2x32x16xbf16>) outs(%o : tensor<1x32x1x16xf32>) scale(0.25 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, t, d, h)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         {lowering_config = #attn_codegen.flash<query_tile = 1, key_tile = 32, kv_splits = 1,
            min_outer_product_rows = 8, bf16_dot = true, bf16_probabilities = true, prefetch = true,
            amx = true>}
         -> tensor<1x32x1x16xf32>
  return %r : tensor<1x32x1x16xf32>
}
