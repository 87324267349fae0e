// The Highway targets FIXAR compiles, included first by every dynamic-dispatch
// translation unit so that their dispatch tables agree: AVX3_DL (AVX-512 VNNI) is
// compiled only on request (hwy/detect_targets.h), and SSSE3 is never a FIXAR path.
#pragma once

#ifndef HWY_WANT_AVX3_DL
#define HWY_WANT_AVX3_DL 1
#endif
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS HWY_SSSE3
#endif
