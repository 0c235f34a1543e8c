/* Subcommand entry points of the any2any CLI; each returns the process exit status. */
#ifndef A2A_CLI_H
#define A2A_CLI_H
int cli_inspect(int argc, char **argv);
int cli_sysinfo(int argc, char **argv);
int cli_tokenize(int argc, char **argv);
int cli_generate(int argc, char **argv);
int cli_chat(int argc, char **argv);
int cli_quantize(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_convert(int argc, char **argv);
int cli_embed(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_generate_image(int argc, char **argv);
int cli_generate_audio(int argc, char **argv);
int cli_generate_video(int argc, char **argv);
int cli_chat_mm(int argc, char **argv);
int cli_eval(int argc, char **argv);
#endif
