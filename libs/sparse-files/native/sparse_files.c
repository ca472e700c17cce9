/*
 * lseek(2) with SEEK_DATA / SEEK_HOLE, which Node's fs does not offer. Volume and image files are
 * sparse: reading a hole makes the kernel allocate and zero page cache for it, which costs more
 * than everything else an upload or a backup does. Knowing where the holes are, the readers skip
 * them.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <node_api.h>
#include <string.h>
#include <unistd.h>

static napi_value seek_to(napi_env env, napi_callback_info info, int whence) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  int64_t offset;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int64(env, argv[1], &offset) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected (fd: number, offset: number)");
    return NULL;
  }
  off_t found = lseek(fd, (off_t)offset, whence);
  if (found < 0) {
    /* ENXIO: no data (or no hole) at or after the offset, which may be past the end. */
    if (errno == ENXIO) {
      napi_create_int64(env, -1, &result);
      return result;
    }
    const char *code = errno == EBADF ? "EBADF" : errno == EINVAL ? "EINVAL" : "EIO";
    napi_throw_error(env, code, strerror(errno));
    return NULL;
  }
  napi_create_int64(env, (int64_t)found, &result);
  return result;
}

static napi_value seek_data(napi_env env, napi_callback_info info) {
  return seek_to(env, info, SEEK_DATA);
}

static napi_value seek_hole(napi_env env, napi_callback_info info) {
  return seek_to(env, info, SEEK_HOLE);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"seekData", NULL, seek_data, NULL, NULL, NULL, napi_default, NULL},
      {"seekHole", NULL, seek_hole, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 2, properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
