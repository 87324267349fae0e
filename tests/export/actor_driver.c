/* Runs an exported actor header (actor.h, symbol fixar_actor) on observations from stdin:
   one line per observation, FIXAR_ACTOR_OBS_DIM numbers (hex floats keep every bit).
   Prints per line the actions as hex doubles, then the raw action integers of the
   integer-in/integer-out variant. Exit code 2 when the two variants disagree. */
#include <stdio.h>

#include "actor.h"

int main(void) {
  double obs[FIXAR_ACTOR_OBS_DIM], action[FIXAR_ACTOR_ACTION_DIM];
  int32_t obs_raw[FIXAR_ACTOR_OBS_DIM], action_raw[FIXAR_ACTOR_ACTION_DIM];
  for (;;) {
    int i;
    for (i = 0; i < FIXAR_ACTOR_OBS_DIM; ++i)
      if (scanf("%la", &obs[i]) != 1) return i == 0 ? 0 : 1;
    fixar_actor(obs, action);
    fixar_actor_quantize_obs(obs, obs_raw);
    fixar_actor_int(obs_raw, action_raw);
    for (i = 0; i < FIXAR_ACTOR_ACTION_DIM; ++i) {
      if (action[i] != (double)action_raw[i] * FIXAR_ACTOR_ACT_LSB) return 2;
      printf("%a %ld ", action[i], (long)action_raw[i]);
    }
    printf("\n");
  }
}
