// RUN: attn-opt %s --split-input-file --verify-diagnostics | FileCheck %s

// The flash lowering-config attribute round-trips.

// CHECK-LABEL: func.func @config
// CHECK: lowering_config = #attn_codegen.flash<query_tile = 64, key_tile = 32, kv_splits = 4, min_outer_product_rows = 8, bf16_dot = true, bf16_probabilities = true, prefetch = false>
func.func @config() attributes {lowering_config = #attn_codegen.flash<query_tile = 64, key_tile = 32, kv_splits = 4, min_outer_product_rows = 8, bf16_dot = true, bf16_probabilities = true, prefetch = false>} {
  return
}

// -----

// `amx` defaults to false and is printed only when true.
// CHECK-LABEL: func.func @amx_config
// CHECK: lowering_config = #attn_codegen.flash<query_tile = 64, key_tile = 64, kv_splits = 1, min_outer_product_rows = 8, bf16_dot = true, bf16_probabilities = true, prefetch = true, amx = true>
// CHECK-LABEL: func.func @amx_default
// CHECK: lowering_config = #attn_codegen.flash<query_tile = 64, key_tile = 64, kv_splits = 1, min_outer_product_rows = 8, bf16_dot = true, bf16_probabilities = true, prefetch = true>}
func.func @amx_config() attributes {lowering_config = #attn_codegen.flash<query_tile = 64, key_tile = 64, kv_splits = 1, min_outer_product_rows = 8, bf16_dot = true, bf16_probabilities = true, prefetch = true, amx = true>} {
  return
}
func.func @amx_default() attributes {lowering_config = #attn_codegen.flash<query_tile = 64, key_tile = 64, kv_splits = 1, min_outer_product_rows = 8, bf16_dot = true, bf16_probabilities = true, prefetch = true, amx = false>} {
  return
}

// -----

// expected-error @+1 {{tile sizes must be positive, got query_tile = 0, key_tile = 32}}
func.func @zero_tile() attributes {lowering_config = #attn_codegen.flash<query_tile = 0, key_tile = 32, kv_splits = 1, min_outer_product_rows = 8, bf16_dot = false, bf16_probabilities = false, prefetch = true>} {
  return
}

// -----

// expected-error @+1 {{kv_splits must be at least 1, got 0}}
func.func @zero_splits() attributes {lowering_config = #attn_codegen.flash<query_tile = 64, key_tile = 32, kv_splits = 0, min_outer_product_rows = 8, bf16_dot = false, bf16_probabilities = false, prefetch = true>} {
  return
}

// -----

// expected-error @+1 {{min_outer_product_rows must be positive, got 0}}
func.func @zero_rows() attributes {lowering_config = #attn_codegen.flash<query_tile = 64, key_tile = 32, kv_splits = 1, min_outer_product_rows = 0, bf16_dot = false, bf16_probabilities = false, prefetch = true>} {
  return
}

// -----

// expected-error @+1 {{bf16_probabilities needs bf16_dot}}
func.func @bf16_probabilities() attributes {lowering_config = #attn_codegen.flash<query_tile = 64, key_tile = 32, kv_splits = 1, min_outer_product_rows = 8, bf16_dot = false, bf16_probabilities = true, prefetch = true>} {
  return
}

// -----

// AMX's P.V multiplies bf16 probabilities.
// expected-error @+1 {{amx needs bf16_probabilities}}
func.func @amx_f32_probabilities() attributes {lowering_config = #attn_codegen.flash<query_tile = 64, key_tile = 32, kv_splits = 1, min_outer_product_rows = 8, bf16_dot = true, bf16_probabilities = false, prefetch = true, amx = true>} {
  return
}
