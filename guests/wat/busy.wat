;; busy.wat: a process that never blocks and never ends.
;;
;; Exports:
;;   memory  1 page (unused; exported like every other fixture)
;;   main    () -> ()   loops forever doing arithmetic on locals, without any
;;                      host call. It is ended only by the host: fuel slices
;;                      make it go to the back of the run queue so it cannot
;;                      starve other processes, and a total fuel limit, a
;;                      kill or the node's shutdown ends it.
;;
;; It sends nothing.
(module
  (memory (export "memory") 1)

  (func (export "main")
    (local $x i32)
    (local $n i64)
    (local.set $x (i32.const 1))
    (loop $forever
      ;; a linear congruential step, x = x * 1103515245 + 12345 ...
      (local.set $x
        (i32.add
          (i32.mul (local.get $x) (i32.const 1103515245))
          (i32.const 12345)))
      ;; ... and a 64-bit running sum, so the loop does real work
      (local.set $n
        (i64.add (local.get $n) (i64.extend_i32_u (local.get $x))))
      (br $forever)))
)
