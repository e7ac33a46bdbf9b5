// RUN: attn-opt %s --attn-x86-emulate-amx --verify-diagnostics

// Tiles loaded with an explicit stride from a 1-D buffer (which
// attn-x86-amx-tiles does not emit) have no emulation.
func.func @strided(%a: memref<256xbf16>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  // expected-error @+1 {{with an explicit stride has no vector emulation}}
  %t = amx.tile_load %a[%c0], %c16 : memref<256xbf16> into !amx.tile<16x32xbf16>
  return
}
