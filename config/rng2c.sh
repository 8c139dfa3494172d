#!/bin/sh
# rng2c.sh NAME < schema.rng > schema.c
# Turns a text file into a C string constant named NAME.
printf '/* Generated from config/backchannel.rng: do not edit. */\n'
printf 'extern const char %s[];\n' "$1"
printf 'const char %s[] =\n' "$1"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/'
printf ';\n'
