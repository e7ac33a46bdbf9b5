//===- AttnOps.td - attn dialect ops -----------------------*- tablegen -*-===//

#ifndef ATTNC_DIALECT_ATTN_IR_ATTNOPS_TD
#define ATTNC_DIALECT_ATTN_IR_ATTNOPS_TD

include "attnc/Dialect/Attn/IR/AttnBase.td"
include "mlir/Dialect/Linalg/IR/LinalgInterfaces.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/TilingInterface.td"

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

def Attn_AttentionOp : Attn_Op<"attention", [
    AttrSizedOperandSegments, Pure,
    DeclareOpInterfaceMethods<DestinationStyleOpInterface>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<TilingInterface, [
        "getIterationDomain", "getLoopIteratorTypes", "getTiledImplementation",
        "getResultTilePosition", "getIterationDomainTileFromResultTile",
        "generateResultTileValue"]>,
    DeclareOpInterfaceMethods<PartialReductionOpInterface, [
        "generateInitialTensorForPartialReduction", "tileToPartialReduction",
        "mergeReductions", "getPartialResultTilePosition"]>]> {
  let summary = "structured scaled-dot-product attention";
  let description = [{
    Computes, for every point of the output,

      score[b, m, t] = scale * sum_i sum_{k1 in K1_i} queries[i][..] * keys[i][..]
      o[b, m, n]     = sum_t softmax_t(score + mask)[b, m, t] * value[b, t, n]

    with accumulation in f32. One affine map per operand, in the order
    `queries..., keys..., value, [mask], [kv_lengths], output`, over one
    iteration space. Each dimension's role is inferred from the operands it
    appears in:

    | role  | appears in                                | meaning                 |
    |-------|-------------------------------------------|-------------------------|
    | batch | every query, key, value and the output    | batch, (KV) heads       |
    | M     | every query and the output                | query tokens, grouped query heads |
    | K1    | query i and key i only                    | head dim of contraction i |
    | K2    | every key and the value                   | key tokens (softmax axis) |
    | N     | the value and the output                  | value head dim, value heads |

    The score is the sum of all `(queries[i], keys[i])` contractions, so MLA's
    latent and RoPE terms need no concatenated key; the value may be the same
    SSA value as a key (MLA's latent is both).

    Grouped heads: along a batch dimension, the extent of a key, the value, the
    mask or `kv_lengths` may divide the output's extent `E`. Such an operand of
    extent `e` is read at index `floor(i / (E / e))`: this is GQA (query head `h`
    reads KV head `floor(h / g)`), MQA (`e = 1`) and GTA's shared maps, with
    no copy of K or V.

    Masking, all optional and combined with AND:
    * `masking(causal)`: bottom-right aligned. The query position is the
      innermost (highest-numbered) M dimension, the key position the innermost
      K2 dimension. Query `s` of `S` sees key `t` iff `t <= s + L - S`, where
      `L` is the valid KV length (`kv_lengths`, or the key extent `T`).
    * `masking(sliding_window, window = W)`: causal, and also `t > s + L - S - W`
      (each query sees at most `W` keys ending at its own position).
    * `kv_lengths`: integer tensor over batch dimensions; keys `t >= L` are masked.
    * `mask`: over batch, M and K2 dimensions; a float mask is added to the
      scaled score, an `i1` mask keeps the keys where it is true.

    A query row whose keys are all masked yields 0, never NaN.

    Tiles of a larger attention: `positions(queries %q0 of S, keys %k0 of T)`
    says that this op's query `s` is query `s + %q0` of an attention with `S`
    queries, and its key `t` is key `t + %k0` of `T` keys. Causal, sliding
    window and `kv_lengths` masks are then taken in those coordinates (with no
    `kv_lengths`, the valid length is `T`). Tiling (`TilingInterface`) writes
    it, so that a tile of a causal attention stays causal where it sits.

    `log_sum_exp`: an optional second output, over the output's batch and M
    dimensions (its indexing map is the last one), receives per query row
    `log(sum_t exp(score_t))` over the visible keys, -inf for a row with none.
    Split-KV partial results carry it, so that they merge exactly
    (`PartialReductionOpInterface`: each split computes its own output and
    log-sum-exp, and `o = sum_s exp(lse_s - lse) o_s` merges them).

    `AggregatedOpInterface` decomposes the op into plain linalg ops that
    materialise the scores: the reference lowering, the oracle of the tiled
    ones.
  }];

  let arguments = (ins
    Variadic<AnyRankedTensor>:$queries,
    Variadic<AnyRankedTensor>:$keys,
    AnyRankedTensor:$value,
    Optional<AnyRankedTensor>:$mask,
    Optional<AnyRankedTensor>:$kv_lengths,
    Optional<Index>:$query_offset,
    Optional<Index>:$key_offset,
    AnyRankedTensor:$output,
    Optional<AnyRankedTensor>:$log_sum_exp_output,
    AnyAttr:$scale,
    AffineMapArrayAttr:$indexing_maps,
    DefaultValuedAttr<Attn_MaskKindAttr, "::mlir::attn::MaskKind::None">:$mask_kind,
    OptionalAttr<I64Attr>:$window,
    OptionalAttr<DenseI64ArrayAttr>:$position_extents
  );
  let results = (outs AnyRankedTensor:$result,
                      Optional<AnyRankedTensor>:$log_sum_exp);

  let assemblyFormat = [{
    `queries` `(` $queries `:` type($queries) `)`
    `keys` `(` $keys `:` type($keys) `)`
    `values` `(` $value `:` type($value) `)`
    (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`kv_lengths` `(` $kv_lengths^ `:` type($kv_lengths) `)`)?
    `outs` `(` $output `:` type($output)
      (`,` `log_sum_exp` $log_sum_exp_output^ `:` type($log_sum_exp_output))? `)`
    `scale` `(` $scale `)`
    custom<Masking>($mask_kind, $window)
    custom<Positions>($query_offset, $key_offset, $position_extents)
    `indexing_maps` `=` $indexing_maps
    attr-dict `->` type(results)
  }];

  let hasVerifier = 1;

  let builders = [
    // A whole attention (no positions frame) without a log-sum-exp output.
    OpBuilder<(ins "Type":$resultType, "ValueRange":$queries, "ValueRange":$keys,
      "Value":$value, "Value":$mask, "Value":$kvLengths, "Value":$output,
      "Attribute":$scale, "ArrayAttr":$indexingMaps,
      "MaskKindAttr":$maskKind, "IntegerAttr":$window), [{
      build($_builder, $_state, resultType, /*log_sum_exp=*/Type(), queries,
            keys, value, mask, kvLengths, /*query_offset=*/Value(),
            /*key_offset=*/Value(), output, /*log_sum_exp_output=*/Value(),
            scale, indexingMaps, maskKind, window,
            /*position_extents=*/DenseI64ArrayAttr());
    }]>
  ];

  let extraClassDeclaration = [{
    /// Inferred dimension roles and extents; only valid on a verified op.
    AttentionDims getAttentionDims();
    /// The same, from the inputs alone: valid on the clones that tiling
    /// drivers make with partial-result tensors as outputs.
    AttentionDims getAttentionDimsFromInputs();
    LogicalResult verifyPositionFrame(const AttentionDims &dims);
    LogicalResult verifyLogSumExp(const AttentionDims &dims);
    /// The output's map without its N (value) dimensions: the map of one
    /// value per query row, the log-sum-exp's.
    AffineMap getRowMap(const AttentionDims &dims);

    /// The scale as a double; only valid on a verified op.
    double getScaleValue() {
      return ::llvm::cast<FloatAttr>(getScale()).getValueAsDouble();
    }

    SmallVector<AffineMap> getIndexingMapsArray() {
      return ::llvm::to_vector(getIndexingMaps().getAsValueRange<AffineMapAttr>());
    }
    AffineMap getQueryMap(unsigned i) { return getIndexingMapsArray()[i]; }
    AffineMap getKeyMap(unsigned i) {
      return getIndexingMapsArray()[getQueries().size() + i];
    }
    AffineMap getValueMap() {
      return getIndexingMapsArray()[2 * getQueries().size()];
    }
    AffineMap getMaskMap() {
      assert(getMask() && "no mask operand");
      return getIndexingMapsArray()[2 * getQueries().size() + 1];
    }
    AffineMap getKvLengthsMap() {
      assert(getKvLengths() && "no kv_lengths operand");
      return getIndexingMapsArray()[2 * getQueries().size() + 1 +
                                    (getMask() ? 1 : 0)];
    }
    AffineMap getOutputMap() {
      return getIndexingMapsArray()[getIndexingMaps().size() -
                                    (getLogSumExpOutput() ? 2 : 1)];
    }
    AffineMap getLogSumExpMap() {
      assert(getLogSumExpOutput() && "no log_sum_exp output");
      return getIndexingMapsArray().back();
    }

    /// Whether the op is a tile of a larger attention (`positions(...)`).
    bool hasPositionFrame() { return getQueryOffset() != nullptr; }
    /// Whether some mask depends on positions (causal, window, kv_lengths).
    bool hasPositionalMask() {
      return getMaskKind() != MaskKind::None || getKvLengths();
    }
  }];
}

def Attn_LatentAttentionOp : Attn_Op<"latent_attention", [
    Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<DestinationStyleOpInterface>]> {
  let summary = "block-latent attention: MLA, GLA-k, MLRA-4, MLRA-2";
  let description = [{
    Multi-head attention over a cached latent, as in DeepSeek's MLA and its
    block-latent relatives (see VARIANTS.md, sections 2 and 3). Per token the
    cache holds the latent `c_t` (`nb` blocks of width `db`) and one RoPE key
    `kR_t` shared by all heads. For each branch `j` (see `#attn.latent_branch`)
    head `h` reads block `i = i_j(h)`, and

      o[s,h] = alpha * sum_j W_UV[i,h]^T sum_t softmax_t(
                 scale * (q_nope[s,h] . (W_UK[i,h]^T c_{t,i}) + q_rope[s,h] . kR_t)) c_{t,i}

    with a separate softmax per branch.

    Shapes (row vectors, `@` contracts the last axis):
    * `q_nope [B,S,H,dn]`, `q_rope [B,S,H,dR]`
    * `latent [B,T,dc]` (one block, `db = dc`) or `[B,T,nb,db]`, `k_rope [B,T,dR]`
    * `w_uk [H,dc,dn]` / `[nb,H,db,dn]`: `k[t,h] = c_{t,i} @ w_uk[i,h]`
    * `w_uv [H,dc,dv]` / `[nb,H,db,dv]`: `v[t,h] = c_{t,i} @ w_uv[i,h]`
    * optional `kv_lengths [B]`, output `[B,S,H,dv]`.

    The RoPE term is optional: without `q_rope` and `k_rope` (both or
    neither) the scores are `scale * q_nope[s,h] . (W_UK[i,h]^T c_{t,i})`
    alone, and the cache holds the latent only.

    `branches` defaults to one branch per block that every head reads
    (`count = 1`): MLA for one block, MLRA-4 for four. `weight` is alpha
    (default 1). Masking is the core op's.

    `attn-lower-latent-attention` lowers it to `attn.attention` in the
    absorbed or the expanded form, as its cost model or option chooses.
  }];

  let arguments = (ins
    AnyRankedTensor:$q_nope,
    Optional<AnyRankedTensor>:$q_rope,
    AnyRankedTensor:$latent,
    Optional<AnyRankedTensor>:$k_rope,
    AnyRankedTensor:$w_uk,
    AnyRankedTensor:$w_uv,
    Optional<AnyRankedTensor>:$kv_lengths,
    AnyRankedTensor:$output,
    AnyAttr:$scale,
    OptionalAttr<TypedArrayAttrBase<Attn_LatentBranchAttr, "latent branches">>:$branches,
    DefaultValuedAttr<F64Attr, "1.0">:$branch_weight,
    DefaultValuedAttr<Attn_MaskKindAttr, "::mlir::attn::MaskKind::None">:$mask_kind,
    OptionalAttr<I64Attr>:$window
  );
  let results = (outs AnyRankedTensor:$result);

  let assemblyFormat = [{
    `queries` `(` $q_nope (`,` $q_rope^)? `:` type($q_nope) (`,` type($q_rope)^)? `)`
    `latent` `(` $latent (`,` $k_rope^)? `:` type($latent) (`,` type($k_rope)^)? `)`
    `up_projections` `(` $w_uk `,` $w_uv `:` type($w_uk) `,` type($w_uv) `)`
    (`kv_lengths` `(` $kv_lengths^ `:` type($kv_lengths) `)`)?
    `outs` `(` $output `:` type($output) `)`
    `scale` `(` $scale `)`
    custom<Masking>($mask_kind, $window)
    (`branches` $branches^)?
    (`weight` `(` $branch_weight^ `)`)?
    attr-dict `->` type($result)
  }];

  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// Latent blocks and their width.
    int64_t getNumBlocks();
    int64_t getBlockWidth();
    /// The RoPE width dR; 0 without the RoPE term.
    int64_t getRopeWidth();
    /// The branches, with the default (one per block, count 1) filled in.
    SmallVector<LatentBranchAttr> getBranchList();
    double getScaleValue() {
      return ::llvm::cast<FloatAttr>(getScale()).getValueAsDouble();
    }
  }];
}

def Attn_GroupedHeadAttentionOp : Attn_Op<"grouped_head_attention", [
    Pure,
    DeclareOpInterfaceMethods<DestinationStyleOpInterface>]> {
  let summary = "GTA (Sun et al.): shared score maps, latent values, gated decoder";
  let description = [{
    Grouped-head latent attention (VARIANTS.md, section 5). `nq` score maps;
    map `i` reads key head `floor(i * nk / nq)` and value head
    `floor(i * nc / nq)`; the values are a small latent decoded after
    attention, and a sigmoid gate is applied as an epilogue:

      o_i = softmax_t(scale * q_i . k_t) v_t                  (width dl)
      u_i = o_i @ ([I_dl ... I_dl] + w_vb[i])                 (width e * dl)
      y   = sigmoid(x_gate) * concat_i(u_i)                   (width D = nq * e * dl)

    Shapes: `x_gate [B,S,D]`, `queries [B,S,nq,dq]`, `keys [B,T,nk,dq]`,
    `values [B,T,nc,dl]`, `decoder [nq,dl,e*dl]`, optional `kv_lengths [B]`,
    output `[B,S,D]`. Masking is the core op's.
  }];

  let arguments = (ins
    AnyRankedTensor:$queries,
    AnyRankedTensor:$keys,
    AnyRankedTensor:$values,
    AnyRankedTensor:$decoder,
    AnyRankedTensor:$gate,
    Optional<AnyRankedTensor>:$kv_lengths,
    AnyRankedTensor:$output,
    AnyAttr:$scale,
    DefaultValuedAttr<Attn_MaskKindAttr, "::mlir::attn::MaskKind::None">:$mask_kind,
    OptionalAttr<I64Attr>:$window
  );
  let results = (outs AnyRankedTensor:$result);

  let assemblyFormat = [{
    `queries` `(` $queries `:` type($queries) `)`
    `keys` `(` $keys `:` type($keys) `)`
    `values` `(` $values `:` type($values) `)`
    `decoder` `(` $decoder `:` type($decoder) `)`
    `gate` `(` $gate `:` type($gate) `)`
    (`kv_lengths` `(` $kv_lengths^ `:` type($kv_lengths) `)`)?
    `outs` `(` $output `:` type($output) `)`
    `scale` `(` $scale `)`
    custom<Masking>($mask_kind, $window)
    attr-dict `->` type($result)
  }];

  let hasVerifier = 1;

  let extraClassDeclaration = [{
    double getScaleValue() {
      return ::llvm::cast<FloatAttr>(getScale()).getValueAsDouble();
    }
    /// The decoder's expansion factor e.
    int64_t getExpansion();
  }];
}

def Attn_EmbeddingGateOp : Attn_Op<"embedding_gate", [
    Pure, DeclareOpInterfaceMethods<DestinationStyleOpInterface>]> {
  let summary = "EG-MLA's token-embedding gate on an up-projected latent";
  let description = [{
    `u[b,t] = norm((latent[b,t] @ up_projection) * table[ids[b,t]]) * norm_weight`

    with `norm` RMS (`x / sqrt(mean(x^2) + eps)`) or layer normalisation
    (`(x - mean(x)) / sqrt(var(x) + eps)`), over the last axis (VARIANTS.md,
    section 4). Shapes: `latent [B,T,dc]`, `ids [B,T]` (i32 or i64, each in
    `[0, V)`), `table [V,du]`, `up_projection [dc,du]`, `norm_weight [du]`,
    output `[B,T,du]`.

    The result is an ordinary tensor: apply it where the cache is written, or
    feed it to `attn.latent_attention` as the latent so that the gate is
    applied when the cache is read.
  }];

  let arguments = (ins
    AnyRankedTensor:$latent,
    AnyRankedTensor:$ids,
    AnyRankedTensor:$table,
    AnyRankedTensor:$up_projection,
    AnyRankedTensor:$norm_weight,
    AnyRankedTensor:$output,
    DefaultValuedAttr<Attn_NormKindAttr, "::mlir::attn::NormKind::RMS">:$norm,
    DefaultValuedAttr<F64Attr, "1.0e-6">:$epsilon
  );
  let results = (outs AnyRankedTensor:$result);

  let assemblyFormat = [{
    `latent` `(` $latent `:` type($latent) `)`
    `ids` `(` $ids `:` type($ids) `)`
    `table` `(` $table `:` type($table) `)`
    `up_projection` `(` $up_projection `:` type($up_projection) `)`
    `norm_weight` `(` $norm_weight `:` type($norm_weight) `)`
    `outs` `(` $output `:` type($output) `)`
    `norm` `=` $norm `,` `epsilon` `=` $epsilon
    attr-dict `->` type($result)
  }];

  let hasVerifier = 1;
}

#endif // ATTNC_DIALECT_ATTN_IR_ATTNOPS_TD
