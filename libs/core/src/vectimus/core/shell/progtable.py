"""Option grammars of file, text and network tools (and the Windows forms of some).

Only options that take a value and long forms with a short twin need listing: everything
else parses correctly by default (``-xyz`` splits into ``-x -y -z``).
"""

from __future__ import annotations

from vectimus.core.shell.options import Program, pairs, spec

_RM = Program(
    spec(twins=pairs("--recursive=-r -R=-r --force=-f --interactive=-i --dir=-d --verbose=-v"))
)
_CP_TWINS = (
    "--recursive=-r -R=-r --force=-f --archive=-a --link=-l --symbolic-link=-s "
    "--target-directory=-t --no-target-directory=-T --verbose=-v --update=-u --no-clobber=-n "
    "--interactive=-i --dereference=-L --no-dereference=-P --suffix=-S --backup=-b "
    "--preserve=-p"
)
_MV_TWINS = (
    "--force=-f --interactive=-i --no-clobber=-n --target-directory=-t "
    "--no-target-directory=-T --update=-u --verbose=-v --suffix=-S --backup=-b"
)
_LN_TWINS = (
    "--symbolic=-s --force=-f --no-dereference=-n --target-directory=-t "
    "--no-target-directory=-T --relative=-r --verbose=-v --logical=-L --physical=-P "
    "--interactive=-i --backup=-b --suffix=-S"
)
_OWNER_TWINS = "--recursive=-R --changes=-c --silent=-f --quiet=-f --verbose=-v --no-dereference=-h"
_TAR_TWINS = (
    "--file=-f --directory=-C --extract=-x --get=-x --create=-c --list=-t --gzip=-z "
    "--gunzip=-z --ungzip=-z --bzip2=-j --xz=-J --verbose=-v --append=-r --update=-u "
    "--files-from=-T --exclude-from=-X --absolute-names=-P --preserve-permissions=-p "
    "--same-permissions=-p --keep-old-files=-k --auto-compress=-a "
    "--use-compress-program=-I --to-stdout=-O --zstd=--zstd"
)
_GREP = Program(
    spec(
        "-e --regexp -f --file -A -B -C --after-context --before-context --context -m "
        "--max-count --include --exclude --exclude-dir --exclude-from -d --directories "
        "-D --devices --label",
        twins=pairs(
            "--recursive=-r --dereference-recursive=-R --ignore-case=-i --invert-match=-v "
            "--files-with-matches=-l --line-number=-n --extended-regexp=-E "
            "--fixed-strings=-F --only-matching=-o --count=-c --regexp=-e --file=-f "
            "--quiet=-q --silent=-q --word-regexp=-w --line-regexp=-x --no-messages=-s "
            "--with-filename=-H --no-filename=-h --perl-regexp=-P --after-context=-A "
            "--before-context=-B --context=-C --max-count=-m --text=-a"
        ),
    ),
    patterns=True,
)
_RG = Program(
    spec(
        "-e --regexp -f --file -g --glob --iglob -t --type -T --type-not -A -B -C -m "
        "--max-count -j --threads -M --max-columns -r --replace --type-add -E --encoding "
        "-d --max-depth --sort --sortr --pre --pre-glob --ignore-file",
        twins=pairs(
            "--ignore-case=-i --invert-match=-v --files-with-matches=-l --line-number=-n "
            "--fixed-strings=-F --word-regexp=-w --regexp=-e --file=-f --glob=-g --type=-t "
            "--replace=-r --max-depth=-d --unrestricted=-u --follow=-L --hidden=--hidden"
        ),
    ),
    patterns=True,
)
_AWK = Program(
    spec(
        "-f --file -F --field-separator -v --assign -i --include -l --load -E --exec",
        twins=pairs("--file=-f --field-separator=-F --assign=-v"),
    ),
    patterns=True,
)
_SED = Program(
    spec(
        "-e --expression -f --file -l --line-length",
        optional="-i",
        twins=pairs(
            "--in-place=-i --expression=-e --file=-f --quiet=-n --silent=-n "
            "--regexp-extended=-E -r=-E --separate=-s --null-data=-z"
        ),
    ),
    patterns=True,
)
_HEAD = Program(
    spec(
        "-n --lines -c --bytes -s --sleep-interval --pid",
        twins=pairs("--lines=-n --bytes=-c --quiet=-q --silent=-q --verbose=-v --follow=-f"),
    )
)
_BASE64 = Program(spec("-w --wrap", twins=pairs("--decode=-d -D=-d --ignore-garbage=-i --wrap=-w")))
_CURL = Program(
    spec(
        "-d -F -T -X -H -o -u -A -e -b -c -x -K -w -m -C -E -r -Y -y -z -Q -U -D -P "
        "--data --data-ascii --data-binary --data-raw --data-urlencode --json --form "
        "--form-string --upload-file --request --header --output --user --user-agent "
        "--referer --cookie --cookie-jar --proxy --config --write-out --max-time "
        "--continue-at --cert --range --url --cacert --capath --key --connect-timeout "
        "--retry --resolve --interface --dump-header --output-dir --proxy-user "
        "--oauth2-bearer --variable --trace --trace-ascii --stderr",
        twins=pairs(
            "--data=-d --data-ascii=-d --data-binary=-d --data-raw=-d --data-urlencode=-d "
            "--json=-d --form=-F --form-string=-F --upload-file=-T --request=-X "
            "--header=-H --output=-o --remote-name=-O --user=-u --insecure=-k "
            "--location=-L --silent=-s --show-error=-S --fail=-f --include=-i --head=-I "
            "--verbose=-v --proxy=-x --cookie=-b --cookie-jar=-c --user-agent=-A "
            "--referer=-e --config=-K --get=-G --write-out=-w --max-time=-m "
            "--continue-at=-C --cert=-E --range=-r --dump-header=-D --globoff=-g "
            "--remote-header-name=-J --netrc=-n"
        ),
    )
)
_WGET = Program(
    spec(
        "-O --output-document -o --output-file -a --append-output -P --directory-prefix "
        "-U --user-agent --header --post-data --post-file --body-data --body-file --method "
        "-i --input-file -t --tries -T --timeout -w --wait -l --level -e --execute -Q "
        "--quota -B --base --user --password --http-user --http-password --referer "
        "--load-cookies --save-cookies --ca-certificate --certificate --private-key -A "
        "--accept -R --reject -D --domains -X --exclude-directories -I "
        "--include-directories",
        twins=pairs(
            "--output-document=-O --output-file=-o --append-output=-a "
            "--directory-prefix=-P --user-agent=-U --input-file=-i --quiet=-q --verbose=-v "
            "--recursive=-r --continue=-c --timestamping=-N --no-verbose=-nv "
            "--no-clobber=-nc --no-directories=-nd --no-parent=-np "
            "--no-host-directories=-nH --execute=-e --tries=-t --timeout=-T --wait=-w "
            "--level=-l --mirror=-m --page-requisites=-p --convert-links=-k "
            "--background=-b --server-response=-S --accept=-A --reject=-R"
        ),
        whole="-nv -nc -nd -np -nH",
    )
)
_XARGS = Program(
    spec(
        "-n --max-args -L --max-lines -I -d --delimiter -P --max-procs -s --max-chars "
        "-a --arg-file -E --replace",
        optional="-i -e -l",
        twins=pairs(
            "--null=-0 --no-run-if-empty=-r --verbose=-t --interactive=-p --exit=-x "
            "--max-args=-n --max-lines=-L --delimiter=-d --max-procs=-P --arg-file=-a "
            "--max-chars=-s --replace=-I"
        ),
        stop_at_positional=True,
    )
)
_RSYNC = Program(
    spec(
        "-e --rsh --rsync-path --exclude --include --filter -f --exclude-from "
        "--include-from --files-from --backup-dir --suffix --chmod --chown --log-file "
        "--password-file --port -T --temp-dir --compare-dest --copy-dest --link-dest "
        "--bwlimit -B --block-size --timeout --max-size --min-size --partial-dir "
        "--out-format --info --debug",
        twins=pairs(
            "--archive=-a --recursive=-r --verbose=-v --compress=-z --dry-run=-n "
            "--rsh=-e --checksum=-c --update=-u --links=-l --perms=-p --times=-t "
            "--group=-g --owner=-o --human-readable=-h --quiet=-q --hard-links=-H "
            "--acls=-A --xattrs=-X --relative=-R --filter=-f --itemize-changes=-i"
        ),
    )
)
_SSH_VALUES = "-i -o -F -p -l -L -R -D -J -b -c -E -e -I -m -O -Q -S -W -w -B -P -X"

# cmd.exe builtins take /x switches; PowerShell cmdlets take case-insensitive -Names.
_CMD = Program(spec(fold_case=True, slash_flags=True))
_ROBOCOPY = Program(spec(fold_case=True, slash_flags=True, slash_long=True))
_REMOVE_ITEM = Program(
    spec(
        "-path -literalpath -filter -include -exclude -credential -stream",
        single_dash=True,
        fold_case=True,
        prefixes=(
            "-path",
            "-literalpath",
            "-filter",
            "-include",
            "-exclude",
            "-recurse",
            "-force",
            "-credential",
            "-whatif",
            "-confirm",
            "-stream",
        ),
    )
)
POWERSHELL_CMDLET = Program(
    spec(
        "-path -literalpath -destination -value -filepath -argumentlist -uri -outfile "
        "-method -body -infile -headers -command -scriptblock -computername -name -id "
        "-itemtype -encoding -executionpolicy -scope -verb -windowstyle -driveletter "
        "-filesystem -credential -filter -include -exclude",
        single_dash=True,
        fold_case=True,
    )
)

UNIX: dict[str, Program] = {
    "rm": _RM,
    "rmdir": Program(spec(twins=pairs("--parents=-p --verbose=-v"), slash_flags=True)),
    "cp": Program(spec("-t --target-directory -S --suffix", twins=pairs(_CP_TWINS))),
    "mv": Program(spec("-t --target-directory -S --suffix", twins=pairs(_MV_TWINS))),
    "ln": Program(spec("-t --target-directory -S --suffix", twins=pairs(_LN_TWINS))),
    "install": Program(
        spec(
            "-m --mode -o --owner -g --group -t --target-directory -S --suffix",
            twins=pairs(
                "--directory=-d --mode=-m --owner=-o --group=-g --target-directory=-t "
                "--no-target-directory=-T --verbose=-v --compare=-C "
                "--preserve-timestamps=-p --strip=-s"
            ),
        )
    ),
    # ``chmod -w f`` is a mode, not an option.
    "chmod": Program(
        spec("--reference", twins=pairs(_OWNER_TWINS), not_option=r"-[rwxXstugoa=+,0-7]+")
    ),
    "chown": Program(spec("--from --reference", twins=pairs(_OWNER_TWINS))),
    "chgrp": Program(spec("--reference", twins=pairs(_OWNER_TWINS))),
    "tar": Program(
        spec(
            "-f --file -C --directory -T --files-from -X --exclude-from --exclude -I "
            "--use-compress-program --to-command --checkpoint-action -b --blocking-factor "
            "-N --newer -g --listed-incremental -K --starting-file -V --label -H --format "
            "--owner --group --mode --transform --xform",
            twins=pairs(_TAR_TWINS),
        )
    ),
    "sed": _SED,
    "gsed": _SED,
    "grep": _GREP,
    "egrep": _GREP,
    "fgrep": _GREP,
    "zgrep": _GREP,
    "rg": _RG,
    "ag": Program(spec("-G --file-search-regex --ignore -A -B -C -m"), patterns=True),
    "awk": _AWK,
    "gawk": _AWK,
    "mawk": _AWK,
    "nawk": _AWK,
    "jq": Program(spec("--arg --argjson --slurpfile --rawfile --indent -f --from-file -L")),
    "cut": Program(
        spec(
            "-d --delimiter -f --fields -c --characters -b --bytes --output-delimiter",
            twins=pairs("--delimiter=-d --fields=-f --characters=-c --bytes=-b"),
        )
    ),
    "sort": Program(
        spec(
            "-o --output -k --key -t --field-separator -T --temporary-directory -S "
            "--buffer-size --parallel --files0-from --batch-size --compress-program",
            twins=pairs(
                "--output=-o --key=-k --reverse=-r --numeric-sort=-n --unique=-u "
                "--field-separator=-t --ignore-case=-f --human-numeric-sort=-h"
            ),
        )
    ),
    "uniq": Program(spec("-f --skip-fields -s --skip-chars -w --check-chars")),
    "head": _HEAD,
    "tail": _HEAD,
    "wc": Program(spec(twins=pairs("--lines=-l --words=-w --bytes=-c --chars=-m"))),
    "strings": Program(spec("-n --bytes -t --radix -e --encoding -T --target")),
    "xxd": Program(
        spec(
            "-l -len -s -seek -c -cols -g -groupsize -o -offset -n -name",
            single_dash=True,
            twins=pairs(
                "-revert=-r -plain=-p -ps=-p -postscript=-p -len=-l -seek=-s -cols=-c "
                "-groupsize=-g -include=-i -bits=-b -uppercase=-u"
            ),
        )
    ),
    "od": Program(spec("-A --address-radix -j --skip-bytes -N --read-bytes -t --format")),
    "hexdump": Program(spec("-n -s -e -f")),
    "base64": _BASE64,
    "base32": _BASE64,
    "less": Program(spec("-p --pattern -x --tabs -b -h -y -z -j -o --log-file -t --tag")),
    "tee": Program(spec(twins=pairs("--append=-a --ignore-interrupts=-i"))),
    "truncate": Program(
        spec(
            "-s --size -r --reference",
            twins=pairs("--size=-s --reference=-r --no-create=-c --io-blocks=-o"),
        )
    ),
    "touch": Program(
        spec(
            "-d --date -t -r --reference",
            twins=pairs("--no-create=-c --date=-d --reference=-r --no-dereference=-h"),
        )
    ),
    "shred": Program(
        spec(
            "-n --iterations -s --size --random-source",
            twins=pairs("--force=-f --zero=-z --verbose=-v --exact=-x --iterations=-n"),
        )
    ),
    "curl": _CURL,
    "wget": _WGET,
    "xargs": _XARGS,
    "rsync": _RSYNC,
    "scp": Program(spec(_SSH_VALUES)),
    "ssh": Program(spec(_SSH_VALUES, rest_after_first=True)),
    "kill": Program(spec("-s --signal -n")),
    "openssl": Program(spec(single_dash=True)),
    "java": Program(spec("-cp -classpath --class-path -jar", single_dash=True)),
    "go": Program(spec(single_dash=True), subcommands=True),
    "rd": _CMD,
    "del": _CMD,
    "erase": _CMD,
    "copy": _CMD,
    "xcopy": _CMD,
    "move": _CMD,
    "format": _CMD,
    "attrib": _CMD,
    "icacls": _CMD,
    "takeown": _CMD,
    "taskkill": _CMD,
    "schtasks": _CMD,
    "reg": _CMD,
    "cipher": _CMD,
    "robocopy": _ROBOCOPY,
    "remove-item": _REMOVE_ITEM,
}
