// Weights written with WriteSafetensors load back to the same model; bad files are rejected
// with an error that names the file and the tensor.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "infermeter/core/error.h"
#include "infermeter/models/builtin.h"
#include "infermeter/models/params.h"
#include "model/safetensors.h"
#include "model_runner.h"

namespace infermeter::engines::reference::testing {
namespace {

namespace fs = std::filesystem;

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("infermeter_model_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  const models::Architecture arch_ = models::FindBuiltin("tiny").value();
};

// The error InputError carries, as text.
std::string LoadError(const models::Architecture& arch, const fs::path& file) {
  try {
    LoadSafetensorsWeights(arch, {file});
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// Writes `weights` tensor by tensor, letting `edit` drop (return false) or change an entry.
template <typename Edit>
void WriteEdited(const ModelWeights& weights, const fs::path& file, Edit edit) {
  std::vector<SafetensorsWriteEntry> entries;
  for (const TensorSpec& spec : TensorSpecs(weights.arch())) {
    const WeightTensor& t = weights.Get(spec.name);
    SafetensorsWriteEntry e{spec.name, "F32", spec.shape, {}, {}};
    if (spec.storage == TensorStorage::kBf16Matrix) {
      e.dtype = "BF16";
      for (const auto& m : t.matrices) {
        e.parts.push_back(m.data());
        e.part_bytes.push_back(m.bytes());
      }
    } else if (spec.storage == TensorStorage::kF32) {
      e.parts.push_back(t.values.data());
      e.part_bytes.push_back(static_cast<std::int64_t>(t.values.size() * 4));
    } else {
      e.dtype = "I32";
      e.parts.push_back(t.indices.data());
      e.part_bytes.push_back(static_cast<std::int64_t>(t.indices.size() * 4));
    }
    if (edit(e)) entries.push_back(std::move(e));
  }
  WriteSafetensorsFile(file, entries);
}

TEST_F(SafetensorsTest, RoundTripGivesIdenticalLogits) {
  const fs::path file = dir_ / "tiny.safetensors";
  WriteSafetensors(MakeRandomWeights(arch_, 21), file);
  const auto tokens = MakeTokens(50, arch_.vocab_size, 1);
  ModelRunner random(arch_, 21);
  ModelRunner loaded(arch_, LoadSafetensorsWeights(arch_, {file}));
  TestSequence a{tokens, {}};
  TestSequence b{tokens, {}};
  EXPECT_EQ(random.Run(a, {50}), loaded.Run(b, {50}));
}

TEST_F(SafetensorsTest, TensorsMaySpreadOverSeveralFiles) {
  const ModelWeights weights = MakeRandomWeights(arch_, 21);
  const fs::path one = dir_ / "part1.safetensors";
  const fs::path two = dir_ / "part2.safetensors";
  bool odd = false;
  WriteEdited(weights, one, [&](SafetensorsWriteEntry&) { return odd = !odd; });
  odd = true;
  WriteEdited(weights, two, [&](SafetensorsWriteEntry&) { return odd = !odd; });
  const ModelWeights loaded = LoadSafetensorsWeights(arch_, {one, two});
  EXPECT_EQ(loaded.size(), weights.size());
}

TEST_F(SafetensorsTest, TruncatedFileNamesFileAndTensor) {
  const fs::path file = dir_ / "truncated.safetensors";
  WriteSafetensors(MakeRandomWeights(arch_, 21), file);
  fs::resize_file(file, fs::file_size(file) / 2);
  const std::string error = LoadError(arch_, file);
  EXPECT_NE(error.find(file.string()), std::string::npos) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
  EXPECT_NE(error.find("field '"), std::string::npos) << error;  // a tensor is named
}

TEST_F(SafetensorsTest, MissingTensorNamesFileAndTensor) {
  const fs::path file = dir_ / "missing.safetensors";
  const std::string dropped = "layers.2.attn.compressor.ape";
  WriteEdited(MakeRandomWeights(arch_, 21), file,
              [&](SafetensorsWriteEntry& e) { return e.name != dropped; });
  const std::string error = LoadError(arch_, file);
  EXPECT_NE(error.find(file.string()), std::string::npos) << error;
  EXPECT_NE(error.find(dropped), std::string::npos) << error;
  EXPECT_NE(error.find("missing"), std::string::npos) << error;
}

TEST_F(SafetensorsTest, WrongShapeNamesFileAndTensor) {
  const fs::path file = dir_ / "shape.safetensors";
  const std::string changed = "layers.1.attn.wq_b.weight";
  WriteEdited(MakeRandomWeights(arch_, 21), file, [&](SafetensorsWriteEntry& e) {
    if (e.name == changed) std::swap(e.shape[0], e.shape[1]);
    return true;
  });
  const std::string error = LoadError(arch_, file);
  EXPECT_NE(error.find(file.string()), std::string::npos) << error;
  EXPECT_NE(error.find(changed), std::string::npos) << error;
  EXPECT_NE(error.find("expected shape [1024, 64]"), std::string::npos) << error;
}

TEST_F(SafetensorsTest, WrongDtypeNamesFileAndTensor) {
  const fs::path file = dir_ / "dtype.safetensors";
  const std::string changed = "norm.weight";
  WriteEdited(MakeRandomWeights(arch_, 21), file, [&](SafetensorsWriteEntry& e) {
    if (e.name == changed) e.dtype = "I32";
    return true;
  });
  const std::string error = LoadError(arch_, file);
  EXPECT_NE(error.find(changed), std::string::npos) << error;
  EXPECT_NE(error.find("expected dtype BF16 or F32, got I32"), std::string::npos) << error;
}

TEST_F(SafetensorsTest, NotSafetensorsIsRejected) {
  const fs::path file = dir_ / "text.safetensors";
  std::ofstream(file) << "hello";
  const std::string error = LoadError(arch_, file);
  EXPECT_NE(error.find(file.string()), std::string::npos) << error;
}

// The specs hold exactly the cost model's parameters (models/params.h), plus what it leaves out
// on purpose: the MoE selection bias (one per routed expert and learned-router layer;
// docs/COST_MODEL.md, "Parameters"). WeightBytes is 2 bytes for each.
TEST(ModelWeightsTest, SpecsMatchTheCostModelsParameters) {
  for (const char* name : {"llama-mini", "v3-mini", "v3.2-mini", "v4-mini", "tiny"}) {
    const auto arch = models::FindBuiltin(name).value();
    std::int64_t params = 0;
    for (const auto& spec : TensorSpecs(arch)) {
      if (spec.storage != TensorStorage::kI32) params += spec.Elements();
    }
    std::int64_t extra = 0;
    if (arch.model_type.rfind("deepseek", 0) == 0) {
      extra += arch.CountLayers(models::FfnKind::kMoe) * arch.moe.num_routed_experts;
    }
    EXPECT_EQ(params, models::CountParams(arch).Total() + extra) << name;
    EXPECT_EQ(WeightBytes(arch), 2 * params) << name;
  }
}

}  // namespace
}  // namespace infermeter::engines::reference::testing
