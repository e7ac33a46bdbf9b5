//===- AttnOps.td - attn dialect ops -----------------------*- tablegen -*-===//

#ifndef ATTNC_DIALECT_ATTN_IR_ATTNOPS_TD
#define ATTNC_DIALECT_ATTN_IR_ATTNOPS_TD

include "attnc/Dialect/Attn/IR/AttnBase.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

def Attn_AttentionOp : Attn_Op<"attention", [
    AttrSizedOperandSegments, Pure,
    DeclareOpInterfaceMethods<DestinationStyleOpInterface>]> {
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
  }];

  let arguments = (ins
    Variadic<AnyRankedTensor>:$queries,
    Variadic<AnyRankedTensor>:$keys,
    AnyRankedTensor:$value,
    Optional<AnyRankedTensor>:$mask,
    Optional<AnyRankedTensor>:$kv_lengths,
    AnyRankedTensor:$output,
    AnyAttr:$scale,
    AffineMapArrayAttr:$indexing_maps,
    DefaultValuedAttr<Attn_MaskKindAttr, "::mlir::attn::MaskKind::None">:$mask_kind,
    OptionalAttr<I64Attr>:$window
  );
  let results = (outs AnyRankedTensor:$result);

  let assemblyFormat = [{
    `queries` `(` $queries `:` type($queries) `)`
    `keys` `(` $keys `:` type($keys) `)`
    `values` `(` $value `:` type($value) `)`
    (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`kv_lengths` `(` $kv_lengths^ `:` type($kv_lengths) `)`)?
    `outs` `(` $output `:` type($output) `)`
    `scale` `(` $scale `)`
    custom<Masking>($mask_kind, $window)
    `indexing_maps` `=` $indexing_maps
    attr-dict `->` type($result)
  }];

  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// Inferred dimension roles and extents; only valid on a verified op.
    AttentionDims getAttentionDims();

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
    AffineMap getOutputMap() { return getIndexingMapsArray().back(); }
  }];
}

#endif // ATTNC_DIALECT_ATTN_IR_ATTNOPS_TD
