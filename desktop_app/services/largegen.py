"""`jiangxin dev generate-large`: a realistic large library for measuring the app at scale.

At scale 1: 50 teams, 500 members, 2,000 guides, 20,000 field sessions and 50,000 photo
records, each photo a tiny real JPEG in the store (and the same bytes as its cached
thumbnail), so `jiangxin check` passes. The text is built from the vocabulary of a district
union's service teams (gardening, pest control, pruning, electrical work, medical care,
training, management), never lorem ipsum, and is deterministic for a given seed.

Speed matters (well under a minute at scale 1): rows go in with `executemany` in one
transaction, photo files are a few dozen Pillow-encoded images made unique by a JPEG comment
segment, and the search index is filled once at commit by the index's own queue.
"""

from __future__ import annotations

import io
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path
from typing import Any

from desktop_app.core.i18n import _
from desktop_app.core.progress import NullProgress, Progress
from desktop_app.core.timezones import DEFAULT_ZONE
from desktop_app.storage import versions
from desktop_app.storage.library import Library
from desktop_app.storage.sortkeys import pinyin_key
from desktop_app.storage.timestamps import to_db_text

BASE_COUNTS = {"team": 50, "member": 500, "guide": 2000, "session": 20000, "photo": 50000}
BIG_SESSION_PHOTOS = 500  # one session with a 500-photo grid
MEDIUM_SESSIONS = 20  # sessions with exactly 50 photos
MEDIUM_SESSION_PHOTOS = 50

DISTRICTS = [
    "丰台区", "东城区", "西城区", "朝阳区", "海淀区", "石景山区", "门头沟区", "房山区",
    "通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区",
]  # fmt: skip
TEAM_DOMAINS = [
    ("园林绿化", "technical"), ("病虫害防治", "technical"), ("电力维修", "technical"),
    ("机电设备", "technical"), ("医疗卫生", "medical"), ("健康科普", "medical"),
    ("技能培训", "education"), ("职业教育", "education"), ("综合管理", "management"),
    ("安全生产", "management"), ("通信技术", "technical"), ("建筑施工", "technical"),
]  # fmt: skip
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志峰宗宝淑珍玉兰红梅立新海燕晓东春生德福永利文博子涵雨轩浩然"  # noqa: E501
HONOURS = [
    "全国劳动模范", "全国五一劳动奖章", "北京市劳动模范", "北京市先进工作者", "首都劳动奖章",
    "北京大工匠", "区级劳动模范", "全国技术能手", "北京市优秀技能人才", "区优秀共产党员",
]  # fmt: skip
EMPLOYERS = [
    "园林绿化管理中心", "供电公司运维检修部", "区医院", "社区卫生服务中心", "职业技术学校",
    "公园管理处", "市政工程公司", "物业服务公司", "通信分公司", "建筑工程集团", "苗圃",
]  # fmt: skip
PLANTS = [
    "月季", "榆叶梅", "国槐", "银杏", "白蜡", "海棠", "紫薇", "油松", "侧柏", "丁香",
    "玉兰", "樱花", "碧桃", "连翘", "金叶女贞", "大叶黄杨", "垂柳", "毛白杨", "元宝枫", "牡丹",
]  # fmt: skip
PLANT_TASKS = [
    ("修剪", "修剪"), ("花后修剪", "修剪"), ("冬季整形修剪", "修剪"), ("施肥", "养护"),
    ("浇灌", "养护"), ("移栽", "栽植"), ("扦插繁殖", "繁殖"), ("嫁接", "繁殖"),
    ("越冬防护", "养护"), ("病虫害防治", "病虫害防治"),
]  # fmt: skip
PESTS = [
    ("光肩星天牛", "管氏肿腿蜂"), ("美国白蛾", "周氏啮小蜂"), ("蚜虫", "异色瓢虫"),
    ("红蜘蛛", "捕食螨"), ("槐尺蠖", "苏云金杆菌"), ("国槐小卷蛾", "性信息素诱捕器"),
    ("白粉病", "粉锈宁"), ("黄栌枯萎病", "土壤消毒"), ("草履蚧", "粘虫胶带"),
]  # fmt: skip
ELECTRIC = [
    "配电箱巡检", "漏电保护器更换", "电缆接头制作", "变压器日常维护", "LED路灯检修",
    "低压线路故障排查", "接地电阻测量", "电动机绝缘检测", "配电室防火", "临时用电安全",
]  # fmt: skip
MEDICAL = [
    "心肺复苏", "海姆立克急救法", "高血压居家监测", "糖尿病饮食指导", "伤口清创包扎",
    "骨折临时固定", "中暑急救", "颈椎病预防操", "老年人防跌倒", "静脉输液规范",
]  # fmt: skip
TRAINING = [
    "班组安全交底", "新员工岗前培训", "技能比武组织", "档案规范化管理", "无线通信设备调试",
    "新材料推广应用", "质量控制小组活动", "工匠精神宣讲", "职工创新工作室建设", "师带徒计划",
]  # fmt: skip
VENUES = [
    "园博园", "南宫公园", "世界花卉大观园", "莲花池公园", "北宫国家森林公园", "青龙湖公园",
    "社区卫生服务中心", "街道职工之家", "职业技术学校实训楼", "供电所培训基地", "苗圃基地",
    "物业服务中心", "企业生产车间", "区职工服务中心", "居委会活动室", "建筑工地项目部",
]  # fmt: skip
HOSTS = [
    "区总工会", "街道工会", "园林绿化局工会", "卫生健康委工会", "供电公司工会", "教育工会",
    "园博园管理中心", "社区党委", "区科协", "职工技协",
]  # fmt: skip
GROUPS = [
    "绿化公司养护人员", "公园一线职工", "社区居民", "物业维修人员", "新入职员工",
    "中小企业职工", "电工班组", "护理人员", "志愿者", "退休职工", "苗圃工人", "学徒",
]  # fmt: skip
MATERIALS = [
    "修枝剪", "高枝锯", "手锯", "伤口愈合剂", "线手套", "护目镜", "安全帽", "梯子", "喷雾器",
    "记号笔", "卷尺", "绝缘手套", "万用表", "兆欧表", "验电笔", "急救包", "血压计", "三角巾",
    "夹板", "记录表", "投影仪", "培训手册",
]  # fmt: skip
SAFETY = [
    "登高作业系好安全带，梯子有人扶稳",
    "使用修枝剪时刃口朝外，不对着人",
    "作业前断电、验电、挂牌，确认无电后再操作",
    "药剂现配现用，戴口罩和手套，避免皮肤接触",
    "雷雨大风天气停止户外作业",
    "急救前先确认现场环境安全",
    "带电设备周围设置围栏和警示标志",
]  # fmt: skip
MISTAKES = [
    "剪口离芽太近，芽易干枯",
    "留桩过长，伤口难以愈合",
    "一次修剪过重，树势衰弱",
    "未断电就打开配电箱",
    "按压深度不够、频率过慢",
    "放蜂后立即喷施化学杀虫剂",
    "培训只讲不练，学员掌握不牢",
]  # fmt: skip
SEASONS = [
    "早春萌芽前", "花谢后一周内", "6月至9月", "秋季落叶后", "冬季休眠期", "全年", "夏季高温前",
    "汛期前", "每月一次", "雨季",
]  # fmt: skip
STEP_TEMPLATES = [
    "观察{obj}整体情况，确定{task}的重点部位",
    "准备{mat}和{mat2}，检查工具是否完好",
    "按照由内向外、由下向上的顺序进行{task}",
    "在外向芽上方0.5到1厘米处下剪，切口斜向45度",
    "每枝保留3到5个饱满芽，剪去病弱枝和交叉枝",
    "对{obj}的关键部位拍照记录，填写记录表",
    "示范后请学员分组实操，现场纠正动作",
    "清理现场，收好{mat}，统计完成情况",
    "向学员讲解{task}的原理和常见问题",
    "复查{obj}，两到三周后回访效果",
]  # fmt: skip
FEEDBACK = [
    "以前{task}全凭感觉，今天终于弄懂了门道，回去马上就能用上。",
    "老师傅手把手教，{task}的要点一下子就记住了。",
    "讲得通俗易懂，{obj}的问题困扰我们很久，这次找到了办法。",
    "希望以后多来几次，特别是{task}方面的实操。",
    "现场示范比看书强多了，{mat}的用法也学会了。",
]  # fmt: skip
SUMMARY = [
    "{team}的劳模工匠来到{venue}，围绕“{theme}”开展现场教学。",
    "通过现场讲解、实操指导等方式，帮助{group}掌握{task}的关键技术。",
    "活动中，劳模工匠示范了{task}，并解答了学员提出的{obj}相关问题。",
    "共有{n}名学员参加，大家纷纷表示收获很大。",
    "活动结束后，服务队将跟踪回访，巩固培训效果。",
]  # fmt: skip

# Team domains without guide topics of their own teach those of a neighbouring domain.
TOPIC_DOMAIN = {
    "机电设备": "电力维修", "安全生产": "电力维修", "建筑施工": "电力维修",
    "健康科普": "医疗卫生", "职业教育": "技能培训", "综合管理": "技能培训", "通信技术": "技能培训",
}  # fmt: skip


@dataclass
class Topic:
    title: str
    category: str
    obj: str
    task: str
    domain: str  # which team domains teach it


@dataclass
class GenerateReport:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    big_session_id: str = ""  # the session with BIG_SESSION_PHOTOS photos
    medium_session_ids: list[str] = field(default_factory=list)


def scaled_counts(scale: float) -> dict[str, int]:
    if not scale > 0:
        raise ValueError("scale must be positive")
    return {k: max(1, round(v * scale)) for k, v in BASE_COUNTS.items()}


def _topics() -> list[Topic]:
    topics = []
    for plant in PLANTS:
        for task, category in PLANT_TASKS:
            topics.append(Topic(f"{plant}{task}", category, plant, task, "园林绿化"))
    for pest, agent in PESTS:
        topics.append(Topic(f"{agent}防治{pest}", "生物防治", pest, "防治", "病虫害防治"))
        for plant in PLANTS[:8]:
            topics.append(
                Topic(f"{plant}{pest}的识别与防治", "病虫害防治", pest, "防治", "病虫害防治")
            )
    for task in ELECTRIC:
        topics.append(Topic(task, "电气", "设备", task, "电力维修"))
    for task in MEDICAL:
        topics.append(Topic(task, "医疗急救", "患者", task, "医疗卫生"))
    for task in TRAINING:
        topics.append(Topic(task, "培训管理", "班组", task, "技能培训"))
    return topics


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _base_jpegs(count: int, rng: random.Random) -> list[bytes]:
    from PIL import Image, ImageDraw  # only the generator needs Pillow

    out = []
    for i in range(count):
        img = Image.new("RGB", (64, 48), (rng.randrange(60, 200), rng.randrange(90, 220), 80))
        draw = ImageDraw.Draw(img)
        for _k in range(4):
            x, y = rng.randrange(64), rng.randrange(48)
            r = rng.randrange(4, 14)
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        draw.rectangle((0, 40, 64, 48), fill=(90 + i % 60, 70, 40))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=60)
        out.append(buf.getvalue())
    return out


def _unique_jpeg(base: bytes, tag: str) -> bytes:
    # A COM segment right after SOI: still a valid JPEG, and a distinct SHA-256 per photo.
    comment = tag.encode("ascii")
    return base[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + base[2:]


def generate_large(
    root: Path,
    *,
    scale: float = 1.0,
    seed: int = 20251124,
    progress: Progress | None = None,
    name: str | None = None,
) -> GenerateReport:
    """Create a new library at `root` filled with generated records; returns what was made."""
    import time

    started = time.perf_counter()
    progress = progress or NullProgress()
    counts = scaled_counts(scale)
    rng = random.Random(seed)
    library = Library.create(root, name=name or _("Large test library"))
    try:
        report = _fill(library, counts, rng, progress)
    except BaseException:
        library.close()
        import shutil

        shutil.rmtree(root, ignore_errors=True)
        raise
    library.close()
    report.seconds = time.perf_counter() - started
    return report


def _new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _fill(
    library: Library, counts: dict[str, int], rng: random.Random, progress: Progress
) -> GenerateReport:
    report = GenerateReport(counts=dict(counts))
    total_steps = 6
    now = datetime.now(UTC)
    created = to_db_text(now)
    topics = _topics()
    rng.shuffle(topics)  # every scale gets every domain, not only the first topics

    def person() -> str:
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        return rng.choice(SURNAMES) + given

    progress.step(0, total_steps, _("Teams and members"))
    teams = []
    team_domain: dict[str, str] = {}
    for i in range(counts["team"]):
        district = DISTRICTS[i % len(DISTRICTS)]
        domain, kind = TEAM_DOMAINS[(i // len(DISTRICTS) + i) % len(TEAM_DOMAINS)]
        tid = _new_id(rng)
        team_domain[tid] = TOPIC_DOMAIN.get(domain, domain)
        expertise = rng.sample([t.title for t in topics if t.domain == team_domain[tid]], 3)
        teams.append(
            (
                tid, f"{district}{domain}服务{i // len(DISTRICTS) + 1}队", kind,
                f"{district}总工会",
                f"由{district}{domain}行业的劳模工匠组成，深入企业和社区开展{domain}技术服务，"
                f"通过现场讲解、实操指导等方式解决一线难题。",
                _json(expertise), f"{rng.randrange(6, 16)}名劳模工匠",
                created, created, 1,
            )
        )  # fmt: skip
    members = []
    for _i in range(counts["member"]):
        honours = [
            {"title": h, "year": rng.randrange(2005, 2026)}
            for h in rng.sample(HONOURS, rng.randrange(1, 3))
        ]
        topic = rng.choice(topics)
        members.append(
            (
                _new_id(rng), person(), _json(honours), f"{topic.category}、{topic.title}",
                rng.choice(DISTRICTS) + rng.choice(EMPLOYERS), "", "", created, created, 1,
            )
        )  # fmt: skip
    team_ids = [t[0] for t in teams]
    team_names = {t[0]: t[1] for t in teams}
    member_ids = [m[0] for m in members]
    memberships = []
    members_of: dict[str, list[str]] = {}
    for i, mid in enumerate(member_ids):
        tid = team_ids[i % len(team_ids)]
        members_of.setdefault(tid, []).append(mid)
    for tid, mids in members_of.items():
        for pos, mid in enumerate(mids):
            role = "captain" if pos == 0 else ("vice_captain" if pos == 1 else "member")
            memberships.append((_new_id(rng), tid, mid, role, pos))

    progress.check_cancelled()
    progress.step(1, total_steps, _("Guides"))
    guides = []
    steps = []
    authors = []
    guide_topic: list[Topic] = []
    for i in range(counts["guide"]):
        topic = topics[i % len(topics)]
        series = i // len(topics)
        gid = _new_id(rng)
        title = (
            topic.title
            if series == 0
            else f"{topic.title}（{['进阶', '实操', '问答', '案例'][series % 4]}{series}）"
        )
        mats = rng.sample(MATERIALS, 4)
        fill: dict[str, object] = {
            "obj": topic.obj,
            "task": topic.task,
            "mat": mats[0],
            "mat2": mats[1],
        }
        owner = rng.choice([t for t in team_ids if team_domain[t] == topic.domain] or team_ids)
        guides.append(
            (
                gid, title, topic.category,
                f"{topic.obj}在{rng.choice(SEASONS)}容易出现问题，需要及时{topic.task}。"
                f"识别要点：观察{topic.obj}的长势和异常部位，对照记录表判断。",
                rng.choice(SEASONS), _json(mats),
                _json([f"{topic.task}要掌握时机", f"{mats[0]}使用前检查"]),
                _json(rng.sample(SAFETY, 2)), _json(rng.sample(MISTAKES, 2)),
                _json([topic.category, topic.obj]), owner, 0, created, created, 1,
            )
        )  # fmt: skip
        guide_topic.append(topic)
        for pos, template in enumerate(rng.sample(STEP_TEMPLATES, rng.randrange(4, 8))):
            steps.append((_new_id(rng), gid, pos, template.format(**fill)))
        team_members = members_of.get(owner, member_ids)
        for pos, mid in enumerate(rng.sample(team_members, min(2, len(team_members)))):
            authors.append((gid, mid, pos))
    guide_ids = [g[0] for g in guides]

    progress.check_cancelled()
    progress.step(2, total_steps, _("Field sessions"))
    sessions = []
    s_teams = []
    s_attendees = []
    s_groups = []
    s_agenda = []
    s_guides = []
    s_feedback = []
    # 01:00 UTC is 09:00 in Beijing, the sessions' zone: they start at 9, 10, 14 or 15 o'clock.
    start_day = datetime(2019, 1, 1, 1, 0, tzinfo=UTC)
    span_days = (datetime(2026, 11, 1, tzinfo=UTC) - start_day).days
    session_dates: list[datetime] = []
    for _i in range(counts["session"]):
        sid = _new_id(rng)
        gi = rng.randrange(len(guide_ids))
        topic = guide_topic[gi]
        tid = rng.choice(team_ids)
        venue = rng.choice(DISTRICTS) + rng.choice(VENUES)
        theme = rng.choice(
            [f"{topic.title}现场教学", f"劳模工匠助企行：{topic.title}", f"{topic.task}技能培训"]
        )
        when = start_day + timedelta(days=rng.randrange(span_days), hours=rng.choice([0, 1, 5, 6]))
        session_dates.append(when)
        group = rng.choice(GROUPS)
        n = rng.randrange(12, 80)
        team_name = team_names[tid]
        fill = {
            "team": team_name, "venue": venue, "theme": theme, "group": group,
            "task": topic.task, "obj": topic.obj, "n": n, "mat": rng.choice(MATERIALS),
        }  # fmt: skip
        summary = "".join(t.format(**fill) for t in SUMMARY if rng.random() < 0.8)
        sessions.append(
            (
                sid, to_db_text(when), to_db_text(when + timedelta(hours=2)), venue,
                _json([rng.choice(DISTRICTS) + rng.choice(HOSTS) for _ in range(rng.randrange(1, 3))]),  # noqa: E501
                theme, summary, _json([f"两周后回访{group}"] if rng.random() < 0.3 else []),
                created, created, 1, DEFAULT_ZONE,
            )
        )  # fmt: skip
        s_teams.append((sid, tid, 0))
        if rng.random() < 0.2:
            other = rng.choice(team_ids)
            if other != tid:
                s_teams.append((sid, other, 1))
        crew = members_of.get(tid, member_ids)
        for pos, mid in enumerate(rng.sample(crew, min(len(crew), rng.randrange(1, 4)))):
            s_attendees.append(
                (_new_id(rng), sid, mid, rng.choice(["lecture", "demonstrate", "coach"]), "", pos)
            )
        s_groups.append((_new_id(rng), sid, group, n, 0))
        for pos in range(rng.randrange(2, 4)):
            label = [
                "开场介绍",
                f"{topic.task}原理讲解",
                f"{topic.task}现场示范",
                "分组实操",
                "答疑交流",
            ][pos + rng.randrange(0, 2)]
            s_agenda.append((_new_id(rng), sid, label, f"{9 + pos}:00", person(), pos))
        s_guides.append((sid, guide_ids[gi], 0))
        for pos in range(rng.randrange(1, 3)):
            text = rng.choice(FEEDBACK).format(**fill)
            s_feedback.append((_new_id(rng), sid, text, person(), "学员代表", pos))
    session_ids = [s[0] for s in sessions]

    progress.check_cancelled()
    progress.step(3, total_steps, _("Photo files"))
    # Photo counts per session: one big grid, some 50-photo sessions, the rest spread out.
    n_photos = counts["photo"]
    per_session = [0] * len(session_ids)
    remaining = n_photos
    big = min(BIG_SESSION_PHOTOS, remaining)
    per_session[0] = big
    remaining -= big
    report.big_session_id = session_ids[0]
    for k in range(1, min(1 + MEDIUM_SESSIONS, len(session_ids))):
        take = min(MEDIUM_SESSION_PHOTOS, remaining)
        per_session[k] = take
        remaining -= take
        if take == MEDIUM_SESSION_PHOTOS:
            report.medium_session_ids.append(session_ids[k])
    rest = list(range(1 + MEDIUM_SESSIONS, len(session_ids))) or [0]
    for j in range(remaining):
        per_session[rest[j % len(rest)]] += 1

    from desktop_app.services.imaging import THUMB_EDGE, cache_path  # imports Pillow

    bases = _base_jpegs(48, rng)
    photos = []
    s_photos = []
    files: list[tuple[str, bytes]] = []
    photo_no = 0
    for k, sid in enumerate(session_ids):
        when = session_dates[k]
        for pos in range(per_session[k]):
            pid = _new_id(rng)
            data = _unique_jpeg(bases[photo_no % len(bases)], f"jiangxin-large-{photo_no}")
            digest = sha256(data).hexdigest()
            files.append((digest, data))
            taken = when + timedelta(minutes=pos)
            member = rng.choice(members)[1]
            caption = rng.choice(
                [
                    f"{member}现场示范",
                    f"{member}讲解要点",
                    f"学员分组实操（{pos + 1}）",
                    "活动合影",
                    f"{sessions[k][3]}现场",
                    "",
                ]
            )
            photos.append(
                (
                    pid, digest, "jpg", f"IMG_{taken:%Y%m%d_%H%M%S}_{pos:03d}.jpg", len(data),
                    64, 48, to_db_text(taken), rng.choice(["HUAWEI P40", "Xiaomi 12", "iPhone 13", "Canon EOS 90D"]),  # noqa: E501
                    1, 0, caption, created, created, 1,
                )
            )  # fmt: skip
            s_photos.append((sid, pid, pos))
            photo_no += 1
    for i, (digest, data) in enumerate(files):
        if i % 5000 == 0:
            progress.check_cancelled()
            progress.step(
                3, total_steps, _("Photo files: {n} of {total}").format(n=i, total=len(files))
            )
        # The original in the store and, as its cached grid thumbnail, the same tiny image.
        for target in (
            library.photos_dir / digest[:2] / f"{digest}.jpg",
            cache_path(library.thumbs_dir, digest, THUMB_EDGE),
        ):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)

    progress.step(4, total_steps, _("Writing the database"))
    # Rows go in without the ORM, so the pinyin sort keys are added here (last column).
    team_rows = [(*t, pinyin_key(t[1])) for t in teams]
    member_rows = [(*m, pinyin_key(m[1])) for m in members]
    guide_rows = [(*g, pinyin_key(g[1])) for g in guides]
    with library.transaction() as s:
        conn = s.connection()

        def put(sql: str, rows: list[tuple[Any, ...]]) -> None:
            for start in range(0, len(rows), 20000):
                conn.exec_driver_sql(sql, rows[start : start + 20000])

        put(
            "INSERT INTO service_team (id, name, kind, parent_union, description, expertise,"
            " member_count_note, created_at, updated_at, revision, name_key)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            team_rows,
        )
        put(
            "INSERT INTO member (id, name, honours, specialty, employer, phone, notes,"
            " created_at, updated_at, revision, name_key) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            member_rows,
        )
        put(
            "INSERT INTO team_membership (id, team_id, member_id, role, position)"
            " VALUES (?,?,?,?,?)",
            memberships,
        )
        put(
            "INSERT INTO photo (id, sha256, ext, original_name, byte_size, width, height,"
            " taken_at, camera, orientation, rotation, caption, created_at, updated_at,"
            " revision) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            photos,
        )
        put(
            "INSERT INTO guide (id, title, category, problem, season, materials, key_points,"
            " safety_notes, common_mistakes, tags, team_id, is_demo, created_at, updated_at,"
            " revision, title_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            guide_rows,
        )
        put("INSERT INTO guide_step (id, guide_id, position, text) VALUES (?,?,?,?)", steps)
        put("INSERT INTO guide_author (guide_id, member_id, position) VALUES (?,?,?)", authors)
        put(
            "INSERT INTO field_session (id, starts_at, ends_at, venue, host_organisations,"
            " theme, summary, follow_ups, created_at, updated_at, revision, time_zone)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            sessions,
        )
        put("INSERT INTO session_team (session_id, team_id, position) VALUES (?,?,?)", s_teams)
        put(
            "INSERT INTO session_attendee (id, session_id, member_id, role, note, position)"
            " VALUES (?,?,?,?,?,?)",
            s_attendees,
        )
        put(
            "INSERT INTO participant_group (id, session_id, name, count, position)"
            " VALUES (?,?,?,?,?)",
            s_groups,
        )
        put(
            "INSERT INTO agenda_item (id, session_id, title, time, leader, position)"
            " VALUES (?,?,?,?,?,?)",
            s_agenda,
        )
        put("INSERT INTO session_guide (session_id, guide_id, position) VALUES (?,?,?)", s_guides)
        put(
            "INSERT INTO feedback_quote (id, session_id, text, speaker, speaker_role, position)"
            " VALUES (?,?,?,?,?,?)",
            s_feedback,
        )
        put("INSERT INTO session_photo (session_id, photo_id, position) VALUES (?,?,?)", s_photos)
        progress.check_cancelled()
        # Rows written without the ORM have no version tag yet; every version is stamped when
        # it is made, so that this library's packs and hub publishes are read like any other.
        versions.backfill(conn)
        progress.step(5, total_steps, _("Building the search index"))
        # The commit indexes every queued record (the triggers queued them all).
    report.counts = {**counts, "photo": len(photos)}
    with library.engine.begin() as c:
        c.exec_driver_sql("PRAGMA optimize")
    progress.step(total_steps, total_steps, _("Done"))
    return report
