//===- CompileCacheTest.cpp - the compile cache cannot be poisoned --------===//

#include "RuntimeTestUtils.h"

#include "mlopt/Runtime/CompileCache.h"

#include "llvm/Support/Process.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlir::mlopt::runtime;
using namespace mlir::mlopt::runtime::testing;

static mode_t modeOf(const std::string &path) {
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(CompileCacheTest, StoresAndLoadsAnEntry) {
  TempDir dir;
  std::string root = dir.file("cache");
  std::string why;
  std::optional<CompileCache> cache = CompileCache::open(root, &why);
  ASSERT_TRUE(cache) << why;
  EXPECT_EQ(modeOf(root), 0700u);
  EXPECT_EQ(cache->load("abc"), nullptr);
  ASSERT_FALSE(bool(cache->store("abc", "object bytes")));
  EXPECT_EQ(modeOf(cache->getEntryPath("abc")) & 077, 0u);
  std::unique_ptr<llvm::MemoryBuffer> object = cache->load("abc", &why);
  ASSERT_TRUE(object) << why;
  EXPECT_EQ(object->getBuffer(), "object bytes");
  // No temporary is left next to the entry.
  EXPECT_EQ(dir.list(), std::vector<std::string>{"cache"});
}

TEST(CompileCacheTest, RefusesATamperedEntry) {
  TempDir dir;
  std::optional<CompileCache> cache = CompileCache::open(dir.file("cache"));
  ASSERT_TRUE(cache);
  ASSERT_FALSE(bool(cache->store("key", "the real object")));
  std::string path = cache->getEntryPath("key");
  std::vector<uint8_t> bytes = readFile(path);
  bytes.back() ^= 1;
  writeFile(path, bytes);
  ::chmod(path.c_str(), 0600);
  std::string why;
  EXPECT_EQ(cache->load("key", &why), nullptr);
  EXPECT_NE(why.find("integrity"), std::string::npos) << why;

  writeFile(path, std::vector<uint8_t>{'E', 'L', 'F'});
  EXPECT_EQ(cache->load("key", &why), nullptr);
  EXPECT_NE(why.find("not a compile cache entry"), std::string::npos) << why;
}

TEST(CompileCacheTest, RefusesEntriesOthersCanWrite) {
  TempDir dir;
  std::optional<CompileCache> cache = CompileCache::open(dir.file("cache"));
  ASSERT_TRUE(cache);
  ASSERT_FALSE(bool(cache->store("key", "object")));
  std::string path = cache->getEntryPath("key");
  ASSERT_EQ(::chmod(path.c_str(), 0666), 0);
  std::string why;
  EXPECT_EQ(cache->load("key", &why), nullptr);
  EXPECT_NE(why.find("writable by group or others"), std::string::npos) << why;

  // A link in place of an entry is not followed.
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  std::string link = cache->getEntryPath("linked");
  ASSERT_EQ(::symlink(path.c_str(), link.c_str()), 0);
  EXPECT_EQ(cache->load("linked", &why), nullptr);
}

TEST(CompileCacheTest, RefusesEntriesOfAnotherUser) {
  if (geteuid() != 0)
    GTEST_SKIP() << "changing a file's owner needs root";
  TempDir dir;
  std::optional<CompileCache> cache = CompileCache::open(dir.file("cache"));
  ASSERT_TRUE(cache);
  ASSERT_FALSE(bool(cache->store("key", "object")));
  std::string path = cache->getEntryPath("key");
  ASSERT_EQ(::chown(path.c_str(), 12345, 12345), 0);
  std::string why;
  EXPECT_EQ(cache->load("key", &why), nullptr);
  EXPECT_NE(why.find("owned by uid 12345"), std::string::npos) << why;
}

TEST(CompileCacheTest, RefusesADirectoryOthersCanWrite) {
  TempDir dir;
  std::string root = dir.file("shared");
  ASSERT_EQ(::mkdir(root.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(root.c_str(), 0777), 0);
  std::string why;
  EXPECT_FALSE(CompileCache::open(root, &why));
  EXPECT_NE(why.find("writable by group or others"), std::string::npos) << why;
}

TEST(CompileCacheTest, NeverUsesTheCurrentDirectory) {
  std::string why;
  EXPECT_FALSE(CompileCache::open("relative/cache", &why));
  EXPECT_NE(why.find("not absolute"), std::string::npos) << why;

  // Without MLOPT_CACHE_DIR and HOME there is no cache (it used to fall
  // back to ./.cache/mlopt).
  std::optional<std::string> cacheDir =
      llvm::sys::Process::GetEnv("MLOPT_CACHE_DIR");
  std::optional<std::string> home = llvm::sys::Process::GetEnv("HOME");
  ::unsetenv("MLOPT_CACHE_DIR");
  ::unsetenv("HOME");
  EXPECT_FALSE(CompileCache::open("", &why));
  EXPECT_NE(why.find("neither MLOPT_CACHE_DIR nor HOME"), std::string::npos)
      << why;
  if (cacheDir)
    ::setenv("MLOPT_CACHE_DIR", cacheDir->c_str(), 1);
  if (home)
    ::setenv("HOME", home->c_str(), 1);
}
