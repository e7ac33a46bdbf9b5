// Found by the numeric fuzzer's seeds (from fuse-tile-producers.mlir): the
// loop accumulates into the buffer of its argument %acc0. Compiled without
// read-only arguments, a call changed the caller's array, and the second run
// of a differential check (the tiled pipeline after the oracle) read the
// oracle's output as its accumulator: about twice the oracle's numbers.
#id = affine_map<(i, j) -> (i, j)>
func.func @accumulate_in_loop(%x: tensor<32x16xf32>, %q: tensor<16xf32>, %acc0: tensor<8xf32>) -> tensor<8xf32> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %acc0) -> tensor<8xf32> {
    %off = arith.muli %i, %c8 : index
    %t = tensor.extract_slice %x[%off, 0] [8, 16] [1, 1] : tensor<32x16xf32> to tensor<8x16xf32>
    %s = linalg.generic {indexing_maps = [#id, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i)>],
                         iterator_types = ["parallel", "reduction"]}
         ins(%t, %q : tensor<8x16xf32>, tensor<16xf32>) outs(%acc : tensor<8xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %m = arith.mulf %a, %b : f32
      %n = arith.addf %o, %m : f32
      linalg.yield %n : f32
    } -> tensor<8xf32>
    scf.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}
