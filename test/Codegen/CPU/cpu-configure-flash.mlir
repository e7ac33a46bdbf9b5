// RUN: attn-opt %s --attn-cpu-configure-flash="query-tile=32 key-tile=16 kv-splits=2 bf16-dot=1 bf16-probabilities=1" --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-cpu-configure-flash --split-input-file | FileCheck %s --check-prefix=DEFAULT
// RUN: not attn-opt %s --split-input-file --attn-cpu-configure-flash="key-tile=0" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: attn-opt %s --attn-cpu-configure-flash="bf16-dot=1 bf16-probabilities=1 amx=1" --split-input-file | FileCheck %s --check-prefix=AMX
// RUN: attn-opt %s --attn-cpu-configure-flash="bf16-dot=1 amx=1" --split-input-file | FileCheck %s --check-prefix=F32P

// The CPU's choices become the op's lowering_config; a config already on an
// op stays.

// CHECK-LABEL: func.func @configure
// CHECK:       attn.attention {{.*}} {lowering_config = #attn_codegen.flash<query_tile = 32, key_tile = 16, kv_splits = 2, min_outer_product_rows = 8, bf16_dot = true, bf16_probabilities = true, prefetch = true>}
// CHECK:       attn.attention {{.*}} {lowering_config = #attn_codegen.flash<query_tile = 2, key_tile = 4,
// DEFAULT-LABEL: func.func @configure
// DEFAULT:       lowering_config = #attn_codegen.flash<query_tile = 64, key_tile = 64, kv_splits = 1, min_outer_product_rows = 8, bf16_dot = false, bf16_probabilities = false, prefetch = true>
// BAD: error: attn-cpu-configure-flash: tile sizes must be positive, got query_tile = 64, key_tile = 0
// A CPU with AMX tiles sets amx; with f32 probabilities (which AMX's P.V
// does not multiply) it stays off.
// AMX-LABEL: func.func @configure
// AMX:       lowering_config = #attn_codegen.flash<{{.*}}bf16_probabilities = true, prefetch = true, amx = true>
// F32P-LABEL: func.func @configure
// F32P:       lowering_config = #attn_codegen.flash<{{.*}}bf16_probabilities = false, prefetch = true>}
#q = affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>
#v = affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>
func.func @configure(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>,
                     %o: tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) {
  %r = attn.attention queries(%q : tensor<1x2x4x8xf32>) keys(%k : tensor<1x2x16x8xf32>)
         values(%v : tensor<1x2x16x8xf32>) outs(%o : tensor<1x2x4x8xf32>) scale(0.35 : f32)
         indexing_maps = [#q, #k, #v, #o] -> tensor<1x2x4x8xf32>
  %r2 = attn.attention queries(%q : tensor<1x2x4x8xf32>) keys(%k : tensor<1x2x16x8xf32>)
         values(%v : tensor<1x2x16x8xf32>) outs(%o : tensor<1x2x4x8xf32>) scale(0.35 : f32)
         indexing_maps = [#q, #k, #v, #o]
         {lowering_config = #attn_codegen.flash<query_tile = 2, key_tile = 4, kv_splits = 1,
            min_outer_product_rows = 8, bf16_dot = false, bf16_probabilities = false, prefetch = true>}
         -> tensor<1x2x4x8xf32>
  return %r, %r2 : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>
}
