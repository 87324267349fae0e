# Seconds the longest tests take in a Release build (ctest's own cost data from a run on
# 2 shared cores, 2026-12-01). A new build directory starts with them as ctest's cost data
# (Testing/Temporary/CTestCostData.txt), so `ctest -j` starts these first instead of
# leaving one of them to run alone at the end; ctest keeps its own measurements after
# the first run. A scheduling hint only: no test depends on it.
set(FIXAR_TEST_COSTS
  DdpgPendulum.FixarQatReachesMinus300AndSwitchesOnce=120
  FashionMnist.FinetuneAccuracyMatchesTheReferencePath=71
  DdpgPendulum.Td3SwitchLearnsToo=47
  cli_train_pendulum_defaults_learn=45
  DdpgPendulum.Float32ReachesMinus300=36
  FashionMnist.Uniform8BitLosesUnderOnePercentAndFinetuneRecoversLowBits=33
  PpoPendulum.ReachesStatedReturn=27
  CExport.OtherPoliciesAndRoundingModesAreBitExact=14
  SweepEndToEnd.SmokeGridRunsToTheEndThenEverythingIsSkipped=13
  ElementwiseTest.AdamMatchesReferenceOnEveryPath=8
  sweep_slurm_end_to_end=8)
