#!/usr/bin/env bash
# Posts the comment comment.sh wrote on the pull request, or edits the one posted before:
# that one is found by the hidden marker on the comment's first line, so every push updates
# a single comment instead of adding another. Uses the GitHub CLI (`gh api`, preinstalled on
# GitHub's runners) with GH_TOKEN.
#
#   examples/ci/post-comment.sh COMMENT_FILE
#
# Environment: GITHUB_REPOSITORY (owner/name) and PR_NUMBER, both set by the workflow.
set -euo pipefail
file=${1:?usage: post-comment.sh COMMENT_FILE}
: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY (owner/name) is not set}" "${PR_NUMBER:?PR_NUMBER is not set}"
marker=$(head -n 1 "$file")
case $marker in
  "<!--"*"-->") ;;
  *) echo "post-comment.sh: the first line of $file is not a hidden marker (<!-- … -->)" >&2; exit 2 ;;
esac

# jq's string literal of the marker: the comment to edit is the first whose body starts with it.
marker_json=$(node -e 'process.stdout.write(JSON.stringify(process.argv[1]))' "$marker")
id=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" \
  --jq ".[] | select(.body | startswith($marker_json)) | .id" | head -n 1)
if [ -n "$id" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F "body=@$file" >/dev/null
  echo "edited comment $id on #$PR_NUMBER"
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" -F "body=@$file" >/dev/null
  echo "posted a comment on #$PR_NUMBER"
fi
