/* Runs the integer primitives of an exported header (actor.h, symbol fixar_actor) on
   cases from stdin, one per line, and prints one result per line:
     r HI LO FROM_FRAC WORD FRAC MODE   requantize the 128-bit HI*2^64 + LO (unsigned words)
     t X IN_FRAC OUT_WORD OUT_FRAC MODE FixedTanh of the int32 X
     d V SCALE WORD MODE                FromDouble of the double V (hex float) with SCALE = 2^frac */
#include <stdio.h>

#include "actor.h"

int main(void) {
  char kind;
  while (scanf(" %c", &kind) == 1) {
    if (kind == 'r') {
      unsigned long long hi, lo;
      int from_frac, word, frac, mode;
      fixar_actor_i128 x;
      if (scanf("%llu %llu %d %d %d %d", &hi, &lo, &from_frac, &word, &frac, &mode) != 6) return 1;
      x.hi = hi;
      x.lo = lo;
      printf("%lld\n", (long long)fixar_actor_requantize(x, from_frac, word, frac, mode));
    } else if (kind == 't') {
      long long x;
      int in_frac, out_word, out_frac, mode;
      if (scanf("%lld %d %d %d %d", &x, &in_frac, &out_word, &out_frac, &mode) != 5) return 1;
      printf("%lld\n", (long long)fixar_actor_tanh(x, in_frac, out_word, out_frac, mode));
    } else if (kind == 'd') {
      double v, scale;
      int word, mode;
      if (scanf("%la %la %d %d", &v, &scale, &word, &mode) != 4) return 1;
      printf("%lld\n", (long long)fixar_actor_from_double(v, scale, word, mode));
    } else {
      return 1;
    }
  }
  return 0;
}
