// ofnicctl: the everyday tool of ofnic (docs/ofnicctl.md, docs/ofnicctl.8).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli.hpp"
#include "commands.hpp"
#include "errors.hpp"

int main(int argc, char** argv) {
  using namespace ofnicctl;
  Options opt;
  auto app = make_app(opt);
  try {
    app->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app->exit(e);  // prints help, version or the error
    return code == 0 ? kExitOk : kExitUsage;
  }
  try {
    return run(opt, stdout);
  } catch (...) {
    auto r = describe_error(std::current_exception());
    std::fflush(stdout);
    std::fputs(render_error(r).c_str(), stderr);
    return r.exit;
  }
}
