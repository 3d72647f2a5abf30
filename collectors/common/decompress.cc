#include "collectors/common/decompress.h"

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <memory>

namespace shoko::collectors {
namespace {

// Where decompressed bytes go: counted against the cap, then to the sink.
class Output {
 public:
  Output(std::string_view file, size_t max_bytes,
         const std::function<Status(std::string_view)>& sink)
      : file_(file), max_bytes_(max_bytes), sink_(sink) {}

  Status Emit(const char* bytes, size_t n) {
    total_ += n;
    if (total_ > max_bytes_) {
      return Status::InvalidArgument(std::string(file_) + ": decompresses to more than " +
                                     std::to_string(max_bytes_) + " bytes");
    }
    return n == 0 ? Status::OK() : sink_(std::string_view(bytes, n));
  }
  Status Corrupt(const std::string& why) const {
    return Status::Corruption(std::string(file_) + ": " + why);
  }
  char* buffer() { return buffer_; }
  static constexpr size_t kBufferSize = 1 << 16;

 private:
  std::string_view file_;
  size_t max_bytes_;
  const std::function<Status(std::string_view)>& sink_;
  size_t total_ = 0;
  char buffer_[kBufferSize];
};

Status Gunzip(std::string_view data, Output& out) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) return Status::Internal("zlib: cannot start");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  Status status;
  for (int rc = Z_OK; rc != Z_STREAM_END && status.ok();) {
    z.next_out = reinterpret_cast<Bytef*>(out.buffer());
    z.avail_out = Output::kBufferSize;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      status =
          out.Corrupt(std::string("not valid gzip data (") + (z.msg ? z.msg : "truncated") + ")");
      break;
    }
    status = out.Emit(out.buffer(), Output::kBufferSize - z.avail_out);
    if (status.ok() && rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      status = out.Corrupt("gzip data ends early");
    }
  }
  inflateEnd(&z);
  return status;
}

Status Unzstd(std::string_view data, Output& out) {
  ZSTD_DStream* z = ZSTD_createDStream();
  if (z == nullptr) return Status::Internal("zstd: cannot start");
  ZSTD_initDStream(z);
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  size_t rc = 1;
  Status status;
  while (in.pos < in.size && status.ok()) {
    ZSTD_outBuffer o{out.buffer(), Output::kBufferSize, 0};
    rc = ZSTD_decompressStream(z, &o, &in);
    if (ZSTD_isError(rc)) {
      status = out.Corrupt(std::string("not valid zstd data (") + ZSTD_getErrorName(rc) + ")");
      break;
    }
    status = out.Emit(out.buffer(), o.pos);
  }
  ZSTD_freeDStream(z);
  if (status.ok() && rc != 0) status = out.Corrupt("zstd data ends early");
  return status;
}

Status Unxz(std::string_view data, Output& out) {
  lzma_stream z = LZMA_STREAM_INIT;
  // A memory limit for the decoder itself: no dictionary beyond 256 MiB.
  if (lzma_stream_decoder(&z, 256u << 20, 0) != LZMA_OK) {
    return Status::Internal("xz: cannot start");
  }
  z.next_in = reinterpret_cast<const uint8_t*>(data.data());
  z.avail_in = data.size();
  lzma_ret rc = LZMA_OK;
  Status status;
  while (rc == LZMA_OK && status.ok()) {
    z.next_out = reinterpret_cast<uint8_t*>(out.buffer());
    z.avail_out = Output::kBufferSize;
    rc = lzma_code(&z, LZMA_FINISH);
    status = out.Emit(out.buffer(), Output::kBufferSize - z.avail_out);
  }
  lzma_end(&z);
  if (status.ok() && rc != LZMA_STREAM_END) status = out.Corrupt("not valid xz data");
  return status;
}

}  // namespace

Status DecompressEach(std::string_view data, std::string_view file, size_t max_bytes,
                      const std::function<Status(std::string_view)>& sink) {
  auto out = std::make_unique<Output>(file, max_bytes, sink);  // its buffer is 64 KiB
  auto magic = [&](std::string_view m) { return data.substr(0, m.size()) == m; };
  if (magic("\x1f\x8b")) return Gunzip(data, *out);
  if (magic("\x28\xb5\x2f\xfd")) return Unzstd(data, *out);
  if (magic(std::string_view("\xfd"
                             "7zXZ\0",
                             6))) {
    return Unxz(data, *out);
  }
  return out->Emit(data.data(), data.size());
}

Result<std::string> Decompress(std::string_view data, std::string_view file, size_t max_bytes) {
  std::string out;
  Status s = DecompressEach(data, file, max_bytes, [&](std::string_view chunk) {
    out.append(chunk);
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace shoko::collectors
