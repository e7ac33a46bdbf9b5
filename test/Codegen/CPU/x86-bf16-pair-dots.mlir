// RUN: attn-opt %s --attn-tile-register-blocks="bf16-dot=1 native-lanes=16 lanes=32" --attn-vectorize-register-tiles --attn-contract-register-blocks="native-lanes=16" --attn-x86-bf16-pair-dots="native-lanes=16" | FileCheck %s
// RUN: attn-opt %s --attn-tile-register-blocks="bf16-dot=1 native-lanes=16 lanes=32" --attn-vectorize-register-tiles --attn-contract-register-blocks="native-lanes=16" | FileCheck %s --check-prefix=BEFORE

// A P.V block of bf16 probabilities against bf16 V rows, tiled to key pairs:
// before this pass, a contract of the two widened keys of a pair; after it,
// per row the pair of probabilities is one 32-bit word, broadcast against
// the two V rows interleaved lane by lane, one vdpbf16ps per row and 16
// lanes.

// BEFORE-LABEL: func.func @bf16_pair_block
// BEFORE:         scf.for %{{.*}} = %c0 to %c64 step %c2
// BEFORE:           vector.contract {{.*}} : vector<4x2xf32>, vector<2x32xf32> into vector<4x32xf32>
// BEFORE-NOT:       x86vector

// CHECK-LABEL: func.func @bf16_pair_block
// CHECK:         scf.for %{{.*}} = %c0 to %c64 step %c2
// CHECK:           %[[P:.*]] = vector.transfer_read {{.*}} : tensor<4x2xbf16>, vector<4x2xbf16>
// CHECK:           %[[V:.*]] = vector.transfer_read {{.*}} : tensor<2x32xbf16>, vector<2x32xbf16>
// CHECK-DAG:       %[[V0:.*]] = vector.extract %[[V]][0] : vector<32xbf16> from vector<2x32xbf16>
// CHECK-DAG:       %[[V1:.*]] = vector.extract %[[V]][1] : vector<32xbf16> from vector<2x32xbf16>
// CHECK:           %[[LO:.*]] = vector.shuffle %[[V0]], %[[V1]] [0, 32, 1, 33, 2, 34, {{.*}}, 15, 47] : vector<32xbf16>, vector<32xbf16>
// CHECK:           %[[HI:.*]] = vector.shuffle %[[V0]], %[[V1]] [16, 48, 17, 49, {{.*}}, 31, 63] : vector<32xbf16>, vector<32xbf16>
// CHECK:           %[[P0:.*]] = vector.extract %[[P]][0] : vector<2xbf16> from vector<4x2xbf16>
// CHECK:           %[[W0:.*]] = vector.bitcast %[[P0]] : vector<2xbf16> to vector<1xi32>
// CHECK:           %[[B0:.*]] = vector.broadcast %[[W0]] : vector<1xi32> to vector<16xi32>
// CHECK:           %[[PAIR0:.*]] = vector.bitcast %[[B0]] : vector<16xi32> to vector<32xbf16>
// CHECK:           x86vector.avx512.dot %{{.*}}, %[[PAIR0]], %[[LO]] : vector<32xbf16> -> vector<16xf32>
// CHECK:           x86vector.avx512.dot %{{.*}}, %[[PAIR0]], %[[HI]] : vector<32xbf16> -> vector<16xf32>
// CHECK-COUNT-6:   x86vector.avx512.dot
// CHECK-NOT:       arith.extf
// CHECK-NOT:       vector.contract
func.func @bf16_pair_block(%p: tensor<4x64xbf16>, %v: tensor<64x64xbf16>, %acc: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(r, n, k) -> (r, k)>, affine_map<(r, n, k) -> (k, n)>,
                          affine_map<(r, n, k) -> (r, n)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%p, %v : tensor<4x64xbf16>, tensor<64x64xbf16>) outs(%acc : tensor<4x64xf32>) {
  ^bb0(%a: bf16, %b: bf16, %o: f32):
    %a32 = arith.extf %a : bf16 to f32
    %b32 = arith.extf %b : bf16 to f32
    %m = arith.mulf %a32, %b32 : f32
    %sum = arith.addf %o, %m : f32
    linalg.yield %sum : f32
  } -> tensor<4x64xf32>
  return %r : tensor<4x64xf32>
}
