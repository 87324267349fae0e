# Hostile inputs to every subcommand (issue #16): bad numbers, unknown names, missing,
# truncated and garbage files, directories where files belong and the reverse, outputs that
# cannot be written, conflicting flags, bad environment variables. Each case runs in a fresh
# directory holding a copy of one small finished run (run/) and tests/cli/hostile_inputs
# (in/); hostile_case.cmake checks the exit code (1..127), the one error line (the input's
# name and value), and that the directory is byte-identical afterwards.
# ctest --test-dir build/release -L cli_hostile

set(HOSTILE_FIXTURE_DIR ${CMAKE_CURRENT_BINARY_DIR}/hostile_fixture)
set(HOSTILE_MODELS ${CMAKE_SOURCE_DIR}/configs/models)
# The run every case gets a copy of: Pendulum, 300 steps past the QAT switch, a checkpoint,
# evaluations and progress rows (about a second).
add_test(NAME cli_hostile_fixture
         COMMAND ${CMAKE_COMMAND} -DFIXAR=$<TARGET_FILE:fixar> -DWORKDIR=${HOSTILE_FIXTURE_DIR}
                 "-DARGS=train|--task|Pendulum|--steps|300|--run-dir|run|--threads|1|--no-progress|--warmup|100|--qat-delay|150|--set|run.eval_every=100|--set|run.log_every=50|--set|run.eval_episodes=1|--set|run.checkpoint_every=100|--set|ddpg.buffer_size=1000"
                 -DFILE=run/checkpoint.bin -P ${CMAKE_CURRENT_SOURCE_DIR}/run_fixar.cmake)
set_tests_properties(cli_hostile_fixture PROPERTIES FIXTURES_SETUP cli_hostile_run LABELS cli_hostile TIMEOUT 60)

function(fixar_hostile name)
  cmake_parse_arguments(T "" "" "ARGS;ENV;EXPECT;REJECT;SETUP" ${ARGN})
  set(defs -DFIXAR=$<TARGET_FILE:fixar> -DWORKDIR=${CMAKE_CURRENT_BINARY_DIR}/hostile/${name}
           -DFIXTURE_RUN=${HOSTILE_FIXTURE_DIR}/run -DINPUTS=${CMAKE_CURRENT_SOURCE_DIR}/hostile_inputs)
  foreach(var ARGS ENV EXPECT REJECT SETUP)
    if(DEFINED T_${var})
      list(JOIN T_${var} "|" joined)
      list(APPEND defs "-D${var}=${joined}")
    endif()
  endforeach()
  if(NOT DEFINED T_EXPECT)
    message(FATAL_ERROR "hostile case ${name}: give EXPECT (the input's name and value)")
  endif()
  add_test(NAME cli_hostile_${name} COMMAND ${CMAKE_COMMAND} ${defs} -P ${CMAKE_CURRENT_SOURCE_DIR}/hostile_case.cmake)
  set_tests_properties(cli_hostile_${name} PROPERTIES LABELS cli_hostile FIXTURES_REQUIRED cli_hostile_run TIMEOUT 30)
endfunction()

# ---- train -------------------------------------------------------------------------------
# The tester's case: the value saturated to 2^63-1 and the run trained forever.
fixar_hostile(train_steps_overflow ARGS train --task Pendulum --steps 99999999999999999999
  EXPECT "--steps" "'99999999999999999999' is out of range" "1..1000000000000")
fixar_hostile(train_steps_negative ARGS train --task Pendulum --steps -5
  EXPECT "--steps" "'-5' is out of range" "1..1000000000000")
fixar_hostile(train_steps_not_a_number ARGS train --task Pendulum --steps 3e4
  EXPECT "--steps" "'3e4' is not an integer")
fixar_hostile(train_steps_hex ARGS train --task Pendulum --steps 0x100
  EXPECT "--steps" "'0x100' is not an integer")
fixar_hostile(train_steps_empty ARGS train --task Pendulum --steps=
  EXPECT "--steps" "required INT missing")
fixar_hostile(train_batch_zero ARGS train --task Pendulum --batch 0
  EXPECT "--batch" "'0' is out of range" "1..65536")
# -1 wrapped to 2^64-1 in an unsigned flag.
fixar_hostile(train_seed_negative ARGS train --task Pendulum --seed -1
  EXPECT "--seed" "'-1' is out of range" "0..18446744073709551615")
fixar_hostile(train_threads_too_many ARGS train --task Pendulum --threads 100000
  EXPECT "--threads" "'100000' is out of range" "0..256")
fixar_hostile(train_unknown_task ARGS train --task Cheetah --steps 100
  EXPECT "run.task = 'Cheetah' is not a known task" "HalfCheetah")
fixar_hostile(train_discrete_task ARGS train --task CartPole --steps 100
  EXPECT "CartPole" "discrete")
fixar_hostile(train_unknown_precision ARGS train --task Pendulum --precision fixed7
  EXPECT "precision.actor" "fixed7" "float32")
# std::stoi's own out_of_range ("stoi") escaped.
fixar_hostile(train_precision_bits_overflow ARGS train --task Pendulum --precision w99999999999a16
  EXPECT "w99999999999a16" "2..32")
fixar_hostile(train_set_unknown_key ARGS train --task Pendulum --set ddpg.bogus=1
  EXPECT "ddpg.bogus" "valid keys")
fixar_hostile(train_set_nan ARGS train --task Pendulum --set ddpg.gamma=nan
  EXPECT "ddpg.gamma" "nan" "finite")
fixar_hostile(train_set_overflow ARGS train --task Pendulum --set run.total_steps=99999999999999999999
  EXPECT "run.total_steps" "99999999999999999999")
fixar_hostile(train_set_wrong_type ARGS train --task Pendulum --set ddpg.batch_size=big
  EXPECT "ddpg.batch_size" "big" "integer")
fixar_hostile(train_set_without_value ARGS train --task Pendulum --set ddpg.batch_size
  EXPECT "ddpg.batch_size" "section.key=value")
fixar_hostile(train_set_negative_seed ARGS train --task Pendulum --set run.seed=-1
  EXPECT "run.seed = -1" "out of range")
fixar_hostile(train_set_zero_hidden ARGS train --task Pendulum --set ddpg.hidden=[64,0]
  EXPECT "ddpg.hidden[1] = 0" "[1, 65536]")
# The replay buffer's size reached vector::reserve.
fixar_hostile(train_huge_buffer ARGS train --task Pendulum --set ddpg.buffer_size=999999999999999
  EXPECT "ddpg.buffer_size" "999999999999999")
fixar_hostile(train_config_missing ARGS train --config in/missing.toml
  EXPECT "--config" "in/missing.toml")
fixar_hostile(train_config_is_directory ARGS train --config in
  EXPECT "--config" "in")
fixar_hostile(train_config_garbage ARGS train --config in/garbage.toml
  EXPECT "in/garbage.toml" "not valid TOML" "line")
fixar_hostile(train_config_wrong_type ARGS train --config in/wrong_type.toml
  EXPECT "in/wrong_type.toml" "run.total_steps" "integer")
fixar_hostile(train_config_overflow ARGS train --config in/overflow.toml
  EXPECT "in/overflow.toml" "line 3")
# Outputs that cannot be written fail before the run (which would take minutes here).
fixar_hostile(train_summary_json_missing_dir ARGS train --task Pendulum --summary-json nodir/summary.json
  EXPECT "--summary-json" "nodir/summary.json" "does not exist")
fixar_hostile(train_summary_json_is_directory ARGS train --task Pendulum --summary-json in
  EXPECT "--summary-json" "'in' is a directory")
fixar_hostile(train_summary_json_under_a_file ARGS train --task Pendulum --summary-json in/garbage.toml/s.json
  EXPECT "--summary-json" "in/garbage.toml/s.json" "not a directory")
fixar_hostile(train_run_dir_is_a_file ARGS train --task Pendulum --run-dir in/garbage.toml
  EXPECT "--run-dir" "in/garbage.toml" "not a directory")
fixar_hostile(train_out_is_a_file ARGS train --task Pendulum --out in/garbage.toml
  EXPECT "in/garbage.toml" "not a directory")
fixar_hostile(train_run_dir_holds_a_run ARGS train --task Pendulum --run-dir run
  EXPECT "--run-dir 'run' already holds a run")
fixar_hostile(train_resume_with_config ARGS train --resume run --config in/wrong_type.toml
  EXPECT "--config cannot be used with --resume")
fixar_hostile(train_resume_not_a_run ARGS train --resume in
  EXPECT "--resume" "'in'" "no config.toml")
fixar_hostile(train_resume_missing ARGS train --resume nowhere
  EXPECT "--resume" "nowhere")
fixar_hostile(train_resume_changes_precision ARGS train --resume run --precision float32
  EXPECT "resuming 'run'" "precision.actor")
fixar_hostile(train_resume_truncated_checkpoint ARGS train --resume run --steps 600 --no-progress
  SETUP truncate:run/checkpoint.bin:100
  EXPECT "run/checkpoint.bin" "truncated")
fixar_hostile(train_resume_garbage_config ARGS train --resume run --steps 600
  SETUP copy:in/garbage.toml:run/config.toml
  EXPECT "run/config.toml" "not valid TOML")

# ---- eval --------------------------------------------------------------------------------
fixar_hostile(eval_missing_run ARGS eval nowhere EXPECT "'nowhere' is not a run directory")
fixar_hostile(eval_file_as_run ARGS eval in/garbage.bin EXPECT "in/garbage.bin" "not a run directory")
fixar_hostile(eval_episodes_zero ARGS eval run --episodes 0 EXPECT "--episodes" "0" "1 to 100000")
fixar_hostile(eval_episodes_overflow ARGS eval run --episodes 99999999999999999999
  EXPECT "--episodes" "99999999999999999999")
fixar_hostile(eval_seed_text ARGS eval run --seed seven EXPECT "--seed" "'seven' is not an integer")
fixar_hostile(eval_frames_of_pendulum ARGS eval run --episodes 1 --frames frames EXPECT "Pendulum" "no MuJoCo model" "HalfCheetah")
fixar_hostile(eval_frames_under_a_file ARGS eval run --frames in/garbage.bin/frames EXPECT "--frames" "in/garbage.bin")
fixar_hostile(eval_json_missing_dir ARGS eval run --json nodir/eval.json
  EXPECT "--json" "nodir/eval.json" "does not exist")
fixar_hostile(eval_json_disk_full ARGS eval run --episodes 1 --json /dev/full
  EXPECT "--json" "/dev/full" "No space left")
fixar_hostile(eval_json_is_directory ARGS eval run --json run EXPECT "--json" "'run' is a directory")
fixar_hostile(eval_truncated_checkpoint ARGS eval run SETUP truncate:run/checkpoint.bin:100
  EXPECT "run/checkpoint.bin" "truncated")
fixar_hostile(eval_empty_checkpoint ARGS eval run SETUP write:run/checkpoint.bin:
  EXPECT "run/checkpoint.bin")
fixar_hostile(eval_checkpoint_is_directory ARGS eval run2
  SETUP mkdir:run2/checkpoint.bin copy:run/config.toml:run2/config.toml
  EXPECT "'run2/checkpoint.bin' is a directory")
fixar_hostile(eval_config_wrong_type ARGS eval run SETUP copy:in/wrong_type.toml:run/config.toml
  EXPECT "run/config.toml" "run.total_steps" "integer")

# ---- fidelity ----------------------------------------------------------------------------
fixar_hostile(fidelity_batches_zero ARGS fidelity run --batches 0 EXPECT "--batches" "0" "1 to 100000")
fixar_hostile(fidelity_unknown_reference ARGS fidelity run --against fixed7 EXPECT "fixed7" "float32")
fixar_hostile(fidelity_set_unknown_key ARGS fidelity run --set ddpg.nope=3 EXPECT "ddpg.nope" "valid keys")
fixar_hostile(fidelity_json_missing_dir ARGS fidelity run --json nodir/f.json
  EXPECT "--json" "nodir/f.json" "does not exist")
fixar_hostile(fidelity_missing_run ARGS fidelity nowhere EXPECT "'nowhere' is not a run directory")
fixar_hostile(fidelity_truncated_checkpoint ARGS fidelity run SETUP truncate:run/checkpoint.bin:2000
  EXPECT "run/checkpoint.bin")

# ---- report ------------------------------------------------------------------------------
fixar_hostile(report_missing_dir ARGS report nowhere EXPECT "nowhere")
fixar_hostile(report_file_as_dir ARGS report in/garbage.toml EXPECT "in/garbage.toml")
fixar_hostile(report_no_runs ARGS report in EXPECT "'in' holds no run")
fixar_hostile(report_unknown_band ARGS report run --band wide EXPECT "--band" "wide")
fixar_hostile(report_out_missing_dir ARGS report run -o nodir/results
  EXPECT "--out" "nodir/results.md" "does not exist")
fixar_hostile(report_summary_csv_is_directory ARGS report run -o results --summary-csv in
  EXPECT "--summary-csv" "'in' is a directory")
fixar_hostile(report_garbage_progress ARGS report run -o results
  SETUP write:run/progress.csv:step,eval_mean\nseven,1\n
  EXPECT "run/progress.csv")

# ---- bench -------------------------------------------------------------------------------
fixar_hostile(bench_batch_zero ARGS bench ddpg --batches 64,0 EXPECT "--batches" "0" "1..65536")
fixar_hostile(bench_batch_overflow ARGS bench ddpg --batches 99999999999
  EXPECT "--batches" "'99999999999' is out of range")
fixar_hostile(bench_unknown_precision ARGS bench ddpg --precisions fixar,fixed7 EXPECT "fixed7" "float32")
fixar_hostile(bench_unknown_task ARGS bench ddpg --task Cheetah EXPECT "Cheetah" "HalfCheetah")
fixar_hostile(bench_hidden_zero ARGS bench ddpg --hidden 400,0 EXPECT "--hidden" "0" "1..65536")
fixar_hostile(bench_updates_negative ARGS bench ddpg --updates -3 EXPECT "--updates" "-3")
fixar_hostile(bench_json_missing_dir ARGS bench ddpg --json nodir/bench.json
  EXPECT "--json" "nodir/bench.json" "does not exist")
fixar_hostile(bench_train_unknown_task ARGS bench train --task Cheetah EXPECT "Cheetah" "HalfCheetah")
fixar_hostile(bench_train_steps_zero ARGS bench train --steps 0 EXPECT "--steps" "0")
fixar_hostile(bench_train_unknown_precision ARGS bench train --precisions fixed7 EXPECT "fixed7" "float32")
fixar_hostile(bench_train_json_missing_dir ARGS bench train --json nodir/t.json
  EXPECT "--json" "nodir/t.json" "does not exist")

# ---- sim ---------------------------------------------------------------------------------
fixar_hostile(sim_cores_zero ARGS sim --cores 0 EXPECT "--cores 0" "1 .. 64")
fixar_hostile(sim_clock_nan ARGS sim --clock-mhz nan EXPECT "--clock-mhz" "'nan'" "finite")
fixar_hostile(sim_env_ms_inf ARGS sim --env-ms inf EXPECT "--env-ms" "'inf'" "finite")
fixar_hostile(sim_mode_bits ARGS sim --mode 12 EXPECT "--mode" "12")
fixar_hostile(sim_batch_overflow ARGS sim --batch 64,99999999999
  EXPECT "--batch" "'99999999999' is out of range")
fixar_hostile(sim_unknown_task ARGS sim --task cheetah EXPECT "cheetah" "halfcheetah")
fixar_hostile(sim_hidden_negative ARGS sim --hidden 400,-300 EXPECT "-300")
fixar_hostile(sim_network_missing ARGS sim --network in/missing.toml EXPECT "in/missing.toml")
fixar_hostile(sim_network_negative ARGS sim --network in/network_negative.toml EXPECT "state" "-3")
fixar_hostile(sim_config_garbage ARGS sim --config in/garbage.toml EXPECT "in/garbage.toml")
fixar_hostile(sim_config_is_directory ARGS sim --config in EXPECT "'in'")
fixar_hostile(sim_config_nan ARGS sim --config in/accel_nan.toml EXPECT "in/accel_nan.toml" "clock_mhz")
fixar_hostile(sim_csv_without_sweep ARGS sim --csv out.csv EXPECT "--csv" "--sweep")
fixar_hostile(sim_json_is_directory ARGS sim --json in EXPECT "--json" "'in' is a directory")
fixar_hostile(sim_json_disk_full ARGS sim --json /dev/full EXPECT "--json" "/dev/full" "No space left")
fixar_hostile(sim_svg_disk_full ARGS sim --sweep --sweep-cores 1 --sweep-array 8 --svg /dev/full
  EXPECT "plot" "/dev/full")
# 2^32 + 17 was read as 17 (a silent narrowing to int).
fixar_hostile(sim_network_narrowing ARGS sim --network in/network_narrowing.toml
  EXPECT "in/network_narrowing.toml" "network.state_dim = 4294967313: out of range")
fixar_hostile(sim_config_narrowing ARGS sim --config in/accel_narrowing.toml
  EXPECT "in/accel_narrowing.toml" "array.cores = 4294967298: out of range")

# ---- quant -------------------------------------------------------------------------------
fixar_hostile(quant_threads_negative ARGS quant --threads -1 EXPECT "--threads" "-1")
fixar_hostile(quant_lr_nan ARGS quant --finetune-lr nan EXPECT "--finetune-lr" "'nan'" "finite")
fixar_hostile(quant_uniform_bits_one_value ARGS quant --model ${HOSTILE_MODELS}/lenet5.toml --uniform-bits 4
  EXPECT "--uniform-bits" "two values")
fixar_hostile(quant_uniform_bits_out_of_range ARGS quant --model ${HOSTILE_MODELS}/lenet5.toml --uniform-bits 4,99
  EXPECT "--uniform-bits" "99")
fixar_hostile(quant_bits_and_uniform ARGS quant --model ${HOSTILE_MODELS}/lenet5.toml --bits in/truncated.json
  --uniform-bits 4,4
  EXPECT "--bits and --uniform-bits are exclusive")
fixar_hostile(quant_bits_truncated_json ARGS quant --model ${HOSTILE_MODELS}/lenet5.toml --bits in/truncated.json
  EXPECT "in/truncated.json" "JSON")
fixar_hostile(quant_model_missing ARGS quant --model in/missing.toml EXPECT "in/missing.toml")
fixar_hostile(quant_model_garbage ARGS quant --model in/model_garbage.toml EXPECT "in/model_garbage.toml")
fixar_hostile(quant_load_garbage ARGS quant --model ${HOSTILE_MODELS}/lenet5.toml --load in/garbage.bin
  EXPECT "in/garbage.bin")
fixar_hostile(quant_truncated_idx ARGS quant --model ${HOSTILE_MODELS}/lenet5.toml --data in/fmnist_truncated
  EXPECT "in/fmnist_truncated/train-images-idx3-ubyte" "truncated")
fixar_hostile(quant_data_missing ARGS quant --model ${HOSTILE_MODELS}/lenet5.toml --data nowhere EXPECT "nowhere")
fixar_hostile(quant_json_missing_dir ARGS quant --model ${HOSTILE_MODELS}/lenet5.toml --json nodir/q.json
  EXPECT "--json" "nodir/q.json" "does not exist")
fixar_hostile(quant_save_is_directory ARGS quant --model ${HOSTILE_MODELS}/lenet5.toml --save in
  EXPECT "--save" "'in' is a directory")
fixar_hostile(quant_reram_zero ARGS quant --model ${HOSTILE_MODELS}/lenet5.toml --reram-config in/reram_zero.toml
  EXPECT "in/reram_zero.toml" "size")

# ---- autoq -------------------------------------------------------------------------------
fixar_hostile(autoq_budget_zero ARGS autoq --budget 0 -o out EXPECT "budget 0" "(0, 1]")
fixar_hostile(autoq_budget_nan ARGS autoq --budget nan -o out EXPECT "--budget" "'nan'" "finite")
fixar_hostile(autoq_unknown_agent ARGS autoq --agent ppo,genetic -o out EXPECT "--agent" "genetic" "ppo")
fixar_hostile(autoq_seed_negative ARGS autoq --seeds 1,-2 -o out EXPECT "--seeds" "-2")
fixar_hostile(autoq_candidates_overflow ARGS autoq --candidates 2,4294967298 -o out
  EXPECT "--candidates" "4294967298")
fixar_hostile(autoq_config_missing ARGS autoq -c in/missing.toml -o out EXPECT "in/missing.toml")
fixar_hostile(autoq_config_wrong_type ARGS autoq -c in/autoq_budget_text.toml -o out
  EXPECT "in/autoq_budget_text.toml" "budget")
fixar_hostile(autoq_config_negative_seed ARGS autoq -c in/autoq_negative_seed.toml -o out
  EXPECT "in/autoq_negative_seed.toml" "seeds" "-1" "out of range")
fixar_hostile(autoq_out_is_a_file ARGS autoq --agent uniform -o in/garbage.toml EXPECT "--out" "in/garbage.toml")
fixar_hostile(autoq_metric_unknown ARGS autoq --metric speed -o out EXPECT "--metric" "speed")

# ---- export ------------------------------------------------------------------------------
fixar_hostile(export_missing_run ARGS export nowhere --c out.h EXPECT "'nowhere' is not a run directory")
fixar_hostile(export_check_samples_zero ARGS export run --check-data c.csv --check-samples 0
  EXPECT "--check-samples" "0")
fixar_hostile(export_onnx_missing_dir ARGS export run --onnx nodir/actor.onnx
  EXPECT "--onnx" "nodir/actor.onnx" "does not exist")
fixar_hostile(export_c_is_directory ARGS export run --c in EXPECT "--c" "'in' is a directory")
fixar_hostile(export_nothing_to_write ARGS export run EXPECT "nothing to write" "--c FILE")
fixar_hostile(export_symbol_not_c ARGS export run --c actor.h --symbol 9lives
  EXPECT "'9lives' is not a C identifier")
fixar_hostile(export_check_seed_negative ARGS export run --check-data c.csv --check-seed -4
  EXPECT "--check-seed" "'-4' is out of range")
fixar_hostile(export_truncated_checkpoint ARGS export run --c actor.h SETUP truncate:run/checkpoint.bin:64
  EXPECT "run/checkpoint.bin")

# ---- sweep -------------------------------------------------------------------------------
fixar_hostile(sweep_run_without_backend ARGS sweep run in/grid_negative_seed.toml --dir sw EXPECT "--local" "--slurm")
fixar_hostile(sweep_run_local_zero ARGS sweep run in/grid_negative_seed.toml --dir sw --local 0
  EXPECT "--local" "0")
fixar_hostile(sweep_list_missing_grid ARGS sweep list in/missing.toml EXPECT "in/missing.toml")
fixar_hostile(sweep_list_garbage_grid ARGS sweep list in/garbage.toml EXPECT "in/garbage.toml" "TOML")
fixar_hostile(sweep_list_negative_seed ARGS sweep list in/grid_negative_seed.toml
  EXPECT "in/grid_negative_seed.toml" "seeds" "-1")
fixar_hostile(sweep_status_not_a_sweep ARGS sweep status run EXPECT "run")
fixar_hostile(sweep_task_index_negative ARGS sweep task run -1 EXPECT "index: '-1' is out of range" "0..2147483647")
fixar_hostile(sweep_run_dir_is_a_file ARGS sweep run in/grid_ok.toml --dir in/garbage.toml --local 1
  EXPECT "--dir 'in/garbage.toml' is a file")

# ---- config ------------------------------------------------------------------------------
fixar_hostile(config_show_config_is_directory ARGS config show --config in EXPECT "--config" "in")
fixar_hostile(config_show_garbage ARGS config show --config in/garbage.toml EXPECT "in/garbage.toml" "TOML")
fixar_hostile(config_show_set_inf ARGS config show --set ddpg.tau=inf EXPECT "ddpg.tau" "inf" "finite")
fixar_hostile(config_show_config_overflow ARGS config show --config in/overflow.toml
  EXPECT "in/overflow.toml" "not representable in 64 bits")
fixar_hostile(config_show_set_float_for_int ARGS config show --set ddpg.batch_size=1.5
  EXPECT "ddpg.batch_size = 1.5" "expected an integer")
fixar_hostile(config_show_unknown_task ARGS config show --task Cheetah EXPECT "run.task = 'Cheetah'" "HalfCheetah")
fixar_hostile(config_show_set_table ARGS config show --set run={a=1} EXPECT "run")

# ---- environment variables: errors before anything is written ---------------------------
fixar_hostile(env_threads_text ENV FIXAR_THREADS=many ARGS train --task Pendulum --steps 100
  EXPECT "FIXAR_THREADS='many'" "1..256")
fixar_hostile(env_threads_zero ENV FIXAR_THREADS=0 ARGS eval run EXPECT "FIXAR_THREADS='0'" "1..256")
fixar_hostile(env_threads_overflow ENV FIXAR_THREADS=99999999999999999999 ARGS bench ddpg --updates 1
  EXPECT "FIXAR_THREADS='99999999999999999999'" "1..256")
fixar_hostile(env_kernel_path_unknown ENV FIXAR_KERNEL_PATH=avx9 ARGS train --task Pendulum --steps 100
  EXPECT "FIXAR_KERNEL_PATH=avx9" "'avx9' is not a kernel path" "reference")
fixar_hostile(env_log_unknown ENV FIXAR_LOG=verbose ARGS train --task Pendulum --steps 100
  EXPECT "FIXAR_LOG='verbose'" "debug, info, warn, error")
fixar_hostile(env_log_on_sim ENV FIXAR_LOG=loud ARGS sim EXPECT "FIXAR_LOG='loud'")
