// Build provenance: the commit is a full SHA (or "unknown" outside git) and describe()
// names the commit, the build type and the compiler on one line.
#include "util/build_info.h"

#include <gtest/gtest.h>

#include <string>

namespace fixar::util {
namespace {

bool IsFullSha(const std::string& s) {
  if (s.size() != 40) return false;
  for (char ch : s)
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  return true;
}

TEST(BuildInfo, CommitIsAFullShaOrUnknown) {
  const BuildInfo& b = GetBuildInfo();
  EXPECT_TRUE(IsFullSha(b.commit) || b.commit == "unknown") << b.commit;
  if (b.commit == "unknown") {
    EXPECT_FALSE(b.dirty);
  }
}

TEST(BuildInfo, BuildTypeIsThisBuildsConfiguration) { EXPECT_EQ(GetBuildInfo().build_type, FIXAR_EXPECTED_BUILD_TYPE); }

TEST(BuildInfo, DescribeIsOneLineWithCommitBuildTypeAndCompiler) {
  const BuildInfo& b = GetBuildInfo();
  const std::string d = b.describe();
  EXPECT_EQ(d.find('\n'), std::string::npos) << d;
  EXPECT_EQ(d.rfind(b.commit.substr(0, 12), 0), 0u) << d;
  EXPECT_NE(d.find(b.build_type), std::string::npos) << d;
  EXPECT_NE(d.find(b.compiler), std::string::npos) << d;
  EXPECT_FALSE(b.compiler.empty());
  EXPECT_EQ(d.find("-dirty") != std::string::npos, b.dirty) << d;
}

TEST(BuildInfo, DescribeFormatsGivenFields) {
  const BuildInfo b{"0123456789abcdef0123456789abcdef01234567", true, "Debug", "GCC 12.2.0"};
  EXPECT_EQ(b.describe(), "0123456789ab-dirty Debug GCC 12.2.0");
  const BuildInfo u{"unknown", false, "Release", "Clang 16.0.0"};
  EXPECT_EQ(u.describe(), "unknown Release Clang 16.0.0");
}

}  // namespace
}  // namespace fixar::util
