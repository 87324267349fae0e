# Tests the sanitizer build (FIXAR_SANITIZE, scripts/sanitize) does not run: the learning
# and long statistical tests, which train agents or CNNs for thousands of steps and take
# ten to a hundred times their Release time under ASan + UBSan, while exercising no code
# the faster tests leave out. The Release build runs them all. Their names go into the
# build directory's CTestCustom.cmake (CTEST_CUSTOM_TESTS_IGNORE).
set(FIXAR_SANITIZE_SKIP
  DdpgPendulum.FixarQatReachesMinus300AndSwitchesOnce
  DdpgPendulum.Float32ReachesMinus300
  DdpgPendulum.Td3SwitchLearnsToo
  PpoPendulum.ReachesStatedReturn
  PpoCartPole.ReachesStatedReturn
  FashionMnist.FinetuneAccuracyMatchesTheReferencePath
  FashionMnist.Uniform8BitLosesUnderOnePercentAndFinetuneRecoversLowBits
)
