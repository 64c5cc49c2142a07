"""The search index of the portal (信用主体检索): derived data, rebuilt from the subjects at any
time (`xinyong search rebuild`) and kept current from the change feed (`search.update`).

- `SearchEntry`: one row per searchable subject — every organization, and an individual only
  while the law publishes them (`visible_until`: the end of their current publication; the
  query compares it with the day, so a person leaves the results the day after it, before any
  job has run). What a result shows is here: no join to the subjects at query time.
- `SearchKey`: exact keys → subject: codes (USCC, legacy codes) and name keys (current and
  former names, normalized). Exact matches rank first.
- `SearchGram`: the posting list of character bigrams of the name keys (n-gram index), clustered
  by (gram, pos, subject): every part of a Chinese name of two characters or more is found by
  an index range scan, in the order names start with it (`pos` = first position of the bigram
  in the current name; former names come after, from `FORMER_OFFSET`). A longer query scans the
  postings of its rarest bigram (`SearchGramCount`) and keeps the names that contain it.

None of these tables has a foreign key constraint: they are rebuilt in bulk, and every query
joins `SearchEntry` and checks the name keys, so a stale posting can never show a wrong result.
"""

from django.db import models

KEY_CODE, KEY_NAME, KEY_FORMER = 0, 1, 2
KEY_KINDS = [(KEY_CODE, "代码"), (KEY_NAME, "现名称"), (KEY_FORMER, "曾用名")]
# postings of a former name come after those of every current name
FORMER_OFFSET = 1000


class SearchEntry(models.Model):
    subject = models.OneToOneField(
        "subjects.Subject", primary_key=True, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    kind = models.CharField("主体类型", max_length=24)
    name = models.CharField("名称", max_length=200)
    # the normalized name keys, current first, one per line: what a partial match is checked against
    keys = models.TextField("名称匹配键")
    # normalized codes (USCC, legacy codes), space separated
    codes = models.TextField("代码", blank=True)
    code = models.CharField("展示代码", max_length=32, blank=True)  # USCC, or the masked ID number
    former_names = models.TextField("曾用名", blank=True)  # one per line, as registered
    region = models.CharField("行政区划", max_length=6, blank=True)
    status = models.CharField("登记状态", max_length=20, blank=True)
    public_id = models.UUIDField()
    # individuals: last day of their current publication (null: organizations, no end)
    visible_until = models.DateField(null=True, blank=True)
    indexed_at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = "检索索引条目"

    def __str__(self) -> str:
        return self.name


class SearchKey(models.Model):
    pk = models.CompositePrimaryKey("key", "kind", "subject_id")
    key = models.CharField(max_length=200)
    kind = models.SmallIntegerField(choices=KEY_KINDS)
    subject_id = models.BigIntegerField()

    class Meta:
        verbose_name = verbose_name_plural = "检索精确键"

    def __str__(self) -> str:
        return f"{self.key}→{self.subject_id}"


class SearchGram(models.Model):
    pk = models.CompositePrimaryKey("gram", "pos", "subject_id")
    gram = models.CharField(max_length=2)
    pos = models.SmallIntegerField()
    subject_id = models.BigIntegerField()

    class Meta:
        verbose_name = verbose_name_plural = "检索二元组倒排"

    def __str__(self) -> str:
        return f"{self.gram}@{self.pos}→{self.subject_id}"


class SearchGramCount(models.Model):
    """How many subjects each bigram has: a longer query scans its rarest bigram."""

    gram = models.CharField(max_length=2, primary_key=True)
    n = models.IntegerField()

    class Meta:
        verbose_name = verbose_name_plural = "检索二元组频次"

    def __str__(self) -> str:
        return f"{self.gram}:{self.n}"
