"""Option grammars of programs with subcommands: git, cloud and cluster tools, packagers.

Global options that take a value are listed so ``git -C dir push`` finds ``push`` as the
subcommand and ``kubectl -n prod delete`` finds ``delete``.
"""

from __future__ import annotations

from vectimus.core.shell.options import Program, Spec, pairs, spec, word_set

_GIT_GLOBAL = spec(
    "-C -c --git-dir --work-tree --namespace --super-prefix --config-env --list-cmds",
    twins=pairs("--paginate=-p --no-pager=-P"),
    stop_at_positional=True,
)
_GIT_SUB: dict[str, Spec] = {
    "push": spec(
        "-o --push-option --repo --receive-pack --exec",
        twins=pairs(
            "--force=-f --delete=-d --set-upstream=-u --verbose=-v --quiet=-q --dry-run=-n "
            "--ipv4=-4 --ipv6=-6 --push-option=-o"
        ),
    ),
    "commit": spec(
        "-m --message -F --file -C --reuse-message -c --reedit-message --author --date -t "
        "--template --fixup --squash --cleanup --trailer",
        optional="-S -u",
        twins=pairs(
            "--all=-a --message=-m --file=-F --no-verify=-n --quiet=-q --verbose=-v "
            "--signoff=-s --edit=-e --patch=-p --reuse-message=-C --reedit-message=-c "
            "--template=-t --include=-i --only=-o --gpg-sign=-S"
        ),
    ),
    "reset": spec(twins=pairs("--quiet=-q --patch=-p")),
    "clean": spec(
        "-e --exclude",
        twins=pairs("--force=-f --dry-run=-n --quiet=-q --interactive=-i --exclude=-e"),
    ),
    "checkout": spec(
        "-b -B --orphan --conflict",
        twins=pairs("--force=-f --quiet=-q --track=-t --patch=-p"),
    ),
    "switch": spec(
        "-c -C --create --force-create --orphan",
        twins=pairs(
            "--create=-c --force-create=-C --discard-changes=-f --force=-f --detach=-d --track=-t"
        ),
    ),
    "branch": spec(
        "-u --set-upstream-to --sort --contains --no-contains --merged --no-merged "
        "--format --points-at",
        twins=pairs(
            "--delete=-d --force=-f --move=-m --copy=-c --all=-a --remotes=-r --list=-l "
            "--verbose=-v --quiet=-q --set-upstream-to=-u"
        ),
    ),
    "tag": spec(
        "-m --message -F --file -u --local-user --sort --contains --points-at --format",
        twins=pairs(
            "--delete=-d --force=-f --annotate=-a --sign=-s --list=-l --verify=-v "
            "--message=-m --file=-F --local-user=-u"
        ),
    ),
    "rm": spec(twins=pairs("--force=-f --quiet=-q --dry-run=-n")),
    "rebase": spec(
        "--onto -s --strategy -X --strategy-option --exec -x",
        twins=pairs(
            "--interactive=-i --exec=-x --strategy=-s --strategy-option=-X --quiet=-q "
            "--verbose=-v --merge=-m --force-rebase=-f"
        ),
    ),
    "merge": spec(
        "-m --message -s --strategy -X --strategy-option -F --file",
        twins=pairs(
            "--message=-m --strategy=-s --strategy-option=-X --file=-F --quiet=-q --verbose=-v"
        ),
    ),
    "pull": spec(
        "-s --strategy -X --strategy-option --depth --upload-pack",
        twins=pairs("--force=-f --quiet=-q --verbose=-v --strategy=-s"),
    ),
    "fetch": spec(
        "--depth --upload-pack -j --jobs --deepen --shallow-since",
        twins=pairs("--force=-f --prune=-p --tags=-t --quiet=-q --verbose=-v --jobs=-j"),
    ),
    "clone": spec(
        "-b --branch -o --origin --depth -c --config --reference --template "
        "--separate-git-dir -u --upload-pack --filter -j --jobs",
        twins=pairs(
            "--branch=-b --origin=-o --config=-c --quiet=-q --verbose=-v --no-checkout=-n "
            "--local=-l --shared=-s --upload-pack=-u --jobs=-j"
        ),
    ),
    "config": spec(
        "-f --file --blob --type --default --comment",
        twins=pairs("--file=-f --list=-l --edit=-e"),
    ),
    "stash": spec(
        "-m --message",
        twins=pairs(
            "--message=-m --include-untracked=-u --all=-a --keep-index=-k --patch=-p --quiet=-q"
        ),
    ),
    "add": spec(
        twins=pairs(
            "--all=-A --force=-f --update=-u --patch=-p --verbose=-v --dry-run=-n "
            "--interactive=-i --intent-to-add=-N"
        )
    ),
    "restore": spec(
        "-s --source",
        twins=pairs("--source=-s --staged=-S --worktree=-W --patch=-p --quiet=-q"),
    ),
    "log": spec("-n --max-count --author --since --until --grep --format --skip -S -G"),
    "filter-branch": spec(
        "--tree-filter --index-filter --msg-filter --env-filter --subdirectory-filter "
        "--parent-filter --commit-filter --tag-name-filter -d",
        twins=pairs("--force=-f"),
    ),
    "update-ref": spec("-m", twins=pairs("--delete=-d")),
}
GIT = Program(spec(), subcommands=True, before=_GIT_GLOBAL, sub=_GIT_SUB)

_KUBECTL = Program(
    spec(
        "-n --namespace --context --kubeconfig --cluster --user -s --server --token --as "
        "--as-group --as-uid --request-timeout --certificate-authority --client-certificate "
        "--client-key --tls-server-name --cache-dir -f --filename -l --selector -o --output "
        "-c --container --field-selector -k --kustomize --grace-period --timeout --image "
        "--replicas --type --port --target-port --name --template -L --label-columns "
        "--sort-by --chunk-size --patch-file --subresource --field-manager --overrides "
        "--env --restart --serviceaccount --since --since-time --tail --revision "
        "--to-revision",
        twins=pairs(
            "--namespace=-n --filename=-f --selector=-l --output=-o --container=-c "
            "--kustomize=-k --all-namespaces=-A --recursive=-R --stdin=-i --tty=-t "
            "--server=-s --label-columns=-L --watch=-w"
        ),
    ),
    subcommands=True,
    sub={"patch": spec("-p --patch", twins=pairs("--patch=-p"))},
)
_HELM = Program(
    spec(
        "-n --namespace --kube-context --kubeconfig -f --values --set --set-string "
        "--set-file --set-json --version --repo --username --password --timeout "
        "--post-renderer --description -o --output --history-max --registry-config "
        "--repository-config --repository-cache --kube-apiserver --kube-token "
        "--kube-as-user --kube-as-group --ca-file --cert-file --key-file --keyring",
        twins=pairs("--namespace=-n --values=-f --output=-o --all-namespaces=-A"),
    ),
    subcommands=True,
)
_TERRAFORM = Program(
    spec(
        "-chdir -var -var-file -target -replace -out -state -state-out -backup "
        "-lock-timeout -parallelism -backend-config -from-module -plugin-dir "
        "-generate-config-out -test-directory -filter",
        single_dash=True,
        go_style=True,
    ),
    subcommands=True,
)
_DOCKER_RUN = spec(
    "-v --volume -e --env --env-file -p --publish -u --user --name -w --workdir --mount "
    "--network --net --pid --ipc --uts --cap-add --cap-drop --security-opt --entrypoint "
    "--platform --device -l --label --label-file -h --hostname --add-host --dns --restart "
    "-m --memory --cpus --gpus --log-driver --log-opt --tmpfs --ulimit --userns "
    "--cgroupns --runtime --stop-signal --ip --link --volumes-from --shm-size -a --attach "
    "--cidfile --detach-keys --group-add",
    twins=pairs(
        "--volume=-v --env=-e --publish=-p --user=-u --workdir=-w --interactive=-i "
        "--tty=-t --detach=-d --label=-l --hostname=-h --memory=-m --attach=-a "
        "--publish-all=-P"
    ),
    rest_after_first=True,
)
_DOCKER = Program(
    spec(),
    subcommands=True,
    before=spec(
        "-H --host --context -c --config -l --log-level --tlscacert --tlscert --tlskey",
        twins=pairs("--host=-H --context=-c --log-level=-l"),
        stop_at_positional=True,
    ),
    sub={
        "run": _DOCKER_RUN,
        "create": _DOCKER_RUN,
        "exec": _DOCKER_RUN,
        "build": spec(
            "-t --tag -f --file --build-arg --target --platform --label --cache-from "
            "--network --secret --ssh -o --output --progress --iidfile",
            twins=pairs("--tag=-t --file=-f --quiet=-q --output=-o"),
        ),
        "rm": spec(twins=pairs("--force=-f --volumes=-v --link=-l")),
        "rmi": spec(twins=pairs("--force=-f")),
        "system": spec(twins=pairs("--force=-f --all=-a --volumes=--volumes")),
    },
)
_AWS = Program(
    spec(
        "--profile --region --output --endpoint-url --query --cli-input-json "
        "--cli-input-yaml --color --ca-bundle --cli-read-timeout --cli-connect-timeout "
        "--cli-binary-format --exclude --include --acl --storage-class --sse "
        "--sse-kms-key-id --grants --expires --cache-control --content-type --metadata"
    ),
    subcommands=True,
)
_GCLOUD = Program(
    spec(
        "--project --account --configuration --impersonate-service-account --format "
        "--verbosity --zone --region --billing-project --flatten --filter --limit "
        "--sort-by --page-size",
        twins=pairs("--quiet=-q"),
    ),
    subcommands=True,
)
_AZ = Program(
    spec(
        "--subscription -g --resource-group -n --name -o --output --query -l --location",
        twins=pairs("--resource-group=-g --name=-n --output=-o --location=-l --yes=-y"),
    ),
    subcommands=True,
)
_PULUMI = Program(
    spec(
        "-s --stack -C --cwd --config-file -c --config --target --parallel -p --message -m "
        "--secrets-provider --policy-pack",
        twins=pairs(
            "--stack=-s --cwd=-C --yes=-y --skip-preview=-f --message=-m --config=-c --parallel=-p"
        ),
    ),
    subcommands=True,
)
_NODE_PM_TWINS = (
    "--global=-g --save-dev=-D --save=-S --save-exact=-E --force=-f --yes=-y "
    "--save-optional=-O --workspace=-w --dir=-C --filter=-F --package=-p --call=-c "
    "--dev=-D --exact=-E --silent=-s"
)
_NODE_PM_VALUES = (
    "--registry --prefix -C --dir -w --workspace --tag --otp --access --userconfig "
    "--globalconfig --cache --filter -F --scope --auth-type --loglevel --cwd --omit "
    "--include --script-shell --before"
)
_NPM_ALIASES = {
    **dict.fromkeys(
        word_set("i in ins inst insta instal isnt isnta isntal isntall add"), "install"
    ),
    **dict.fromkeys(word_set("un remove rm r unlink"), "uninstall"),
    **dict.fromkeys(word_set("run-script rum urn"), "run"),
    **dict.fromkeys(word_set("clean-install ic install-clean isntall-clean"), "ci"),
    **dict.fromkeys(word_set("t tst"), "test"),
    "x": "exec",
}
_NODE_PM = Program(spec(_NODE_PM_VALUES, twins=pairs(_NODE_PM_TWINS)), subcommands=True)
_NPX = Program(
    spec(_NODE_PM_VALUES + " -p --package -c --call", twins=pairs(_NODE_PM_TWINS)),
    subcommands=True,
    before=spec(
        _NODE_PM_VALUES + " -p --package -c --call",
        twins=pairs(_NODE_PM_TWINS),
        stop_at_positional=True,
    ),
    passthrough=True,
)
_PIP_VALUES = (
    "-i --index-url --extra-index-url -f --find-links --trusted-host -r --requirement "
    "-c --constraint -e --editable -t --target --prefix --root --no-binary --only-binary "
    "--platform --python-version --implementation --abi --src --upgrade-strategy "
    "--progress-bar --log --proxy --retries --timeout --exists-action --cert "
    "--client-cert --cache-dir --index --default-index -p --python --with --project "
    "--directory --package --group --extra --from"
)
_PIP_TWINS = (
    "--index-url=-i --find-links=-f --requirement=-r --constraint=-c --editable=-e "
    "--target=-t --upgrade=-U --quiet=-q --verbose=-v --yes=-y --python=-p"
)
_PIP = Program(spec(_PIP_VALUES, twins=pairs(_PIP_TWINS)), subcommands=True)
_PIPX_LIKE = Program(spec(_PIP_VALUES, twins=pairs(_PIP_TWINS)), subcommands=True, passthrough=True)
_POETRY = Program(
    spec(
        "--source -C --directory -P --project --group -G -E --extras --with --without --only",
        twins=pairs("--directory=-C --project=-P --group=-G --extras=-E"),
    ),
    subcommands=True,
)
_CARGO = Program(
    spec(
        "--registry --index --features -F -p --package --manifest-path --git --branch --tag "
        "--rev --path --root --target --target-dir -j --jobs --bin --example --version "
        "--vers --config -Z --color --profile",
        twins=pairs(
            "--package=-p --features=-F --jobs=-j --force=-f --quiet=-q --verbose=-v --release=-r"
        ),
    ),
    subcommands=True,
)
_GEM = Program(
    spec(
        "--source -s -i --install-dir -n --bindir -v --version --platform -P --trust-policy",
        twins=pairs(
            "--source=-s --install-dir=-i --bindir=-n --version=-v --no-document=-N "
            "--force=-f --trust-policy=-P"
        ),
    ),
    subcommands=True,
)

DEV: dict[str, Program] = {
    "git": GIT,
    "kubectl": _KUBECTL,
    "helm": _HELM,
    "terraform": _TERRAFORM,
    "tofu": _TERRAFORM,
    "docker": _DOCKER,
    "podman": _DOCKER,
    "aws": _AWS,
    "gcloud": _GCLOUD,
    "az": _AZ,
    "pulumi": _PULUMI,
    "npm": Program(_NODE_PM.options, subcommands=True, aliases=_NPM_ALIASES),
    "pnpm": Program(
        _NODE_PM.options,
        subcommands=True,
        aliases={"i": "install", "rm": "remove", "un": "remove", "uninstall": "remove"},
    ),
    "yarn": _NODE_PM,
    "bun": Program(_NODE_PM.options, subcommands=True, aliases={"i": "install"}),
    "npx": _NPX,
    "pip": _PIP,
    "pip3": _PIP,
    "uv": _PIP,
    "uvx": _PIPX_LIKE,
    "pipx": _PIP,
    "poetry": _POETRY,
    "cargo": _CARGO,
    "gem": _GEM,
}
