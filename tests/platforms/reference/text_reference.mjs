// What the networks' own reference libraries make of some texts, for the
// differential tests in tests/platforms/test_text_differential.py.
//
// Reads {"x": [text, ...], "bluesky": [text, ...]} as JSON on stdin and prints
// {"versions": {...}, "tlds": [...], "x": [result, ...], "bluesky": [result, ...]},
// one result per text in the same order:
//   x:       twitter-text's parseTweet (weightedLength, valid) and extractCashtags
//   bluesky: @atproto/api's RichText: graphemeLength, length (UTF-8 bytes), the
//            facets of detectFacetsWithoutResolution as
//            [kind, byteStart, byteEnd, value], and whether the post record made
//            from them passes the reference's own lexicon validation.
//   tlds:    the top-level domains @atproto/api's detection checks bare domains
//            and mentions against (the package it imports), ASCII ones only.
// Packages come from the repository's package.json (npm ci at the root).

import { createRequire } from 'node:module'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

function load(name) {
  try {
    return require(name)
  } catch (err) {
    fail(`cannot load the npm package ${name} (${err.code || err.message}); run \`npm ci\` at the repository root`)
  }
}

function fail(message) {
  process.stderr.write(`text_reference: ${message}\n`)
  process.exit(2)
}

const twitter = load('twitter-text')
let atproto
try {
  atproto = await import('@atproto/api')
} catch (err) {
  fail(`cannot load the npm package @atproto/api (${err.code || err.message}); run \`npm ci\` at the repository root`)
}
const { AppBskyFeedPost, RichText } = atproto
// The `tlds` that @atproto/api itself imports (normally the root's, deduplicated).
const apiRequire = createRequire(import.meta.resolve('@atproto/api'))

function version(name, from = require) {
  // Not require(`${name}/package.json`): @atproto/api's "exports" does not list it.
  let dir = dirname(from.resolve(name))
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name) {
    if (dirname(dir) === dir) return null
    dir = dirname(dir)
  }
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version
}

function x(text) {
  const parsed = twitter.parseTweet(text)
  return {
    weightedLength: parsed.weightedLength,
    valid: parsed.valid,
    cashtags: twitter.extractCashtags(text),
  }
}

const KINDS = {
  'app.bsky.richtext.facet#link': ['link', 'uri'],
  'app.bsky.richtext.facet#mention': ['mention', 'did'],
  'app.bsky.richtext.facet#tag': ['tag', 'tag'],
}

function bluesky(text) {
  const rt = new RichText({ text })
  rt.detectFacetsWithoutResolution()
  const facets = []
  for (const facet of rt.facets || []) {
    for (const feature of facet.features) {
      const [kind, field] = KINDS[feature.$type] || [feature.$type, null]
      facets.push([kind, facet.index.byteStart, facet.index.byteEnd, field ? feature[field] : null])
    }
  }
  // Mentions are left unresolved (their "did" is the handle), so a record with
  // a mention never validates; validity is asked of the record without them.
  const record = {
    $type: 'app.bsky.feed.post',
    text: rt.text,
    facets: (rt.facets || []).filter(
      (f) => !f.features.some((feature) => feature.$type === 'app.bsky.richtext.facet#mention'),
    ),
    createdAt: '2026-01-01T00:00:00.000Z',
  }
  const checked = AppBskyFeedPost.validateRecord(record)
  return {
    graphemeLength: rt.graphemeLength,
    length: rt.length,
    facets,
    recordValid: checked.success,
    recordError: checked.success ? null : String(checked.error && checked.error.message),
  }
}

const input = JSON.parse(readFileSync(0, 'utf8'))
process.stdout.write(
  JSON.stringify({
    versions: {
      node: process.versions.node,
      unicode: process.versions.unicode,
      'twitter-text': version('twitter-text'),
      '@atproto/api': version('@atproto/api'),
      tlds: version('tlds', apiRequire),
    },
    tlds: apiRequire('tlds').filter((tld) => /^[\x00-\x7f]+$/.test(tld)).sort(),
    x: (input.x || []).map(x),
    bluesky: (input.bluesky || []).map(bluesky),
  }),
)
