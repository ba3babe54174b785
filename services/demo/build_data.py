"""Generate the Bitung demo events in ``services/demo/data/*.ndjson``.

The NDJSON files are committed; this script is how they are made, so that an
edit to the demo is an edit here followed by a regeneration. From the
repository root::

    python -m services.demo.build_data           # rewrite the data files
    python -m services.demo.build_data --check   # exit 1 if they are stale

Every line is one complete CloudEvent. Before writing, each event is checked
against ``events/schemas`` (the envelope and its type's schema), event ids must
be unique, every referenced forum, proposal, meeting, node and comment must
exist and come earlier, and every ``time`` must fall before ``ANCHOR_DATE``.

The content is fictional but drawn from Bitung's programs: skills training
(sewing, catering) for women opening home businesses; capital assistance and
bookkeeping / marketing training for farmer groups and fishers; community
health and nutrition education (posyandu, stunting); keeping children in
school longer. Dates are written relative to ``ANCHOR_DATE`` (see
``services/demo/__init__.py``); event ids are UUIDv5 of a readable name, so the
output is the same on every run.
"""

# ruff: noqa: E501  (the demo content is prose; long string lines read better unbroken)
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from events.catalog import MEETING_SCHEDULED, aggregate_of
from events.envelope import cloud_event
from services.demo import ANCHOR_DATE

DATA_DIR = Path(__file__).resolve().parent / "data"
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "events" / "schemas"

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://gotong.id/demo/bitung")
YEAR = 2026
WITA = "+08:00"

Event = dict[str, Any]

# --------------------------------------------------------------------- nodes
BAPPEDA = "bappeda-bitung"
DINSOS = "dinsos-bitung"
DINKES = "dinkes-bitung"
DISDIK = "disdik-bitung"
DINKOP = "dinkop-ukm-bitung"
DKP = "dinas-perikanan-bitung"
LSM = "lsm-mitra-usaha-pesisir"
YPA = "yayasan-pelita-anak-bitung"
PKK = "pkk-bitung-tengah"
KT = "kt-maju-bersama-batuputih"
KN = "kn-bahari-papusungan"
KARTA = "karang-taruna-madidir-ure"

# program ids (slugs): the subject of indicator events
P_PEREMPUAN = "pelatihan-keterampilan-perempuan"
P_TANI = "modal-usaha-tani-nelayan"
P_GIZI = "edukasi-gizi-posyandu"
P_SEKOLAH = "anak-tetap-sekolah"

F_EKONOMI = "forum-ekonomi-maesa"
F_TANI = "forum-tani-nelayan-bitung"
F_GIZI = "forum-gizi-posyandu-bitung"
F_SEKOLAH = "forum-pendidikan-madidir"

EVIDENCE = "https://files.example.org/gotong/bukti"


def at(when: str) -> str:
    """``"03-13 10:30"`` -> ``"2026-03-13T10:30:00+08:00"`` (WITA)."""
    day, clock = when.split()
    return f"{YEAR}-{day}T{clock}:00{WITA}"


NODES = [
    (BAPPEDA, "Bappeda Kota Bitung", "government", "01-05 08:30",
     "Badan Perencanaan Pembangunan Daerah Kota Bitung. Mengoordinasikan forum lintas sektor "
     "dan memantau rencana tindak lanjut agar masuk ke perencanaan kota.",
     "Bidang Pemerintahan dan Pembangunan Manusia, Bappeda Kota Bitung"),
    (DINSOS, "Dinas Sosial Kota Bitung", "government", "01-05 09:10",
     "Menangani pemberdayaan sosial, termasuk pelatihan keterampilan bagi perempuan dari "
     "keluarga prasejahtera dan bantuan sosial bersyarat.",
     "Bidang Pemberdayaan Sosial, Dinas Sosial Kota Bitung"),
    (DINKES, "Dinas Kesehatan Kota Bitung", "government", "01-05 10:00",
     "Membina puskesmas dan posyandu, edukasi gizi masyarakat dan percepatan penurunan stunting.",
     "Bidang Kesehatan Masyarakat, Dinas Kesehatan Kota Bitung"),
    (DISDIK, "Dinas Pendidikan Kota Bitung", "government", "01-06 08:45",
     "Mengelola pendidikan dasar dan kesetaraan, termasuk pendataan dan pendampingan anak "
     "tidak sekolah.",
     "Bidang Pembinaan Sekolah Dasar dan Pendidikan Nonformal, Dinas Pendidikan Kota Bitung"),
    (DINKOP, "Dinas Koperasi dan UKM Kota Bitung", "government", "01-06 09:30",
     "Membina koperasi dan usaha mikro: perizinan usaha, dana bergulir, pelatihan pemasaran "
     "dan kemitraan dengan pembeli.",
     "Bidang Usaha Mikro, Dinas Koperasi dan UKM Kota Bitung"),
    (DKP, "Dinas Perikanan Kota Bitung", "government", "01-06 10:15",
     "Membina nelayan kecil dan pengolah hasil perikanan: sarana rantai dingin, alat tangkap, "
     "kartu KUSUKA dan asuransi nelayan.",
     "Bidang Pemberdayaan Nelayan Kecil, Dinas Perikanan Kota Bitung"),
    (LSM, "LSM Mitra Usaha Pesisir", "ngo", "01-07 09:00",
     "Lembaga swadaya masyarakat yang mendampingi usaha mikro perempuan, kelompok tani dan "
     "kelompok nelayan dalam pembukuan, perizinan dan pemasaran.",
     "Sekretariat LSM Mitra Usaha Pesisir, Kecamatan Maesa"),
    (YPA, "Yayasan Pelita Anak Bitung", "ngo", "01-07 10:30",
     "Yayasan yang bekerja untuk gizi dan pendidikan anak: makanan tambahan lokal, kelas orang "
     "tua dan pendidikan kesetaraan bagi remaja putus sekolah.",
     "Sekretariat Yayasan Pelita Anak Bitung, Kecamatan Madidir"),
    (PKK, "TP PKK Kelurahan Bitung Tengah", "community", "01-08 16:00",
     "Tim Penggerak PKK Kelurahan Bitung Tengah: kader posyandu dan kelompok usaha ibu rumah "
     "tangga.",
     "Balai Kelurahan Bitung Tengah, Kecamatan Maesa"),
    (KT, "Kelompok Tani Maju Bersama", "community", "01-08 17:30",
     "Kelompok tani cabai dan tomat dengan 24 anggota di Kelurahan Batuputih Bawah.",
     "Ketua kelompok, Kelurahan Batuputih Bawah, Kecamatan Ranowulu"),
    (KN, "Kelompok Nelayan Bahari Papusungan", "community", "01-09 15:00",
     "Kelompok nelayan kecil dan pengolah ikan di Pulau Lembeh, 30 anggota aktif.",
     "Ketua kelompok, Kelurahan Papusungan, Kecamatan Lembeh Selatan"),
    (KARTA, "Karang Taruna Kelurahan Madidir Ure", "community", "01-09 19:00",
     "Organisasi pemuda kelurahan yang menggerakkan relawan belajar dan kegiatan remaja.",
     "Balai Kelurahan Madidir Ure, Kecamatan Madidir"),
]

FORUMS = [
    (F_EKONOMI, BAPPEDA, "01-12 09:00", "Forum Pemberdayaan Ekonomi Kecamatan Maesa",
     "Musyawarah rutin pemerintah, LSM dan kelompok masyarakat tentang pelatihan keterampilan "
     "(menjahit, tata boga) dan usaha rumahan perempuan.",
     "Kecamatan Maesa", P_PEREMPUAN),
    (F_TANI, DINKOP, "01-13 09:00", "Forum Kelompok Tani dan Nelayan Kota Bitung",
     "Tempat kelompok tani, kelompok nelayan, LSM dan dinas terkait membahas bantuan modal, "
     "pembukuan dan akses ke pasar yang lebih luas.",
     "Kecamatan Ranowulu, Lembeh Selatan dan Lembeh Utara", P_TANI),
    (F_GIZI, DINKES, "01-14 09:00", "Forum Kesehatan dan Gizi Masyarakat Kota Bitung",
     "Rembuk kader posyandu, PKK, LSM dan Dinas Kesehatan untuk edukasi gizi berbasis "
     "masyarakat dan penurunan stunting.",
     "Kota Bitung", P_GIZI),
    (F_SEKOLAH, DISDIK, "01-15 09:00", "Forum Peduli Pendidikan Anak Kecamatan Madidir",
     "Musyawarah orang tua, sekolah, karang taruna, yayasan dan dinas agar anak-anak tetap "
     "bersekolah sampai tamat SMA/SMK.",
     "Kecamatan Madidir", P_SEKOLAH),
]
FORUM_PROGRAM = {f[0]: f[6] for f in FORUMS}
#: who convened each forum: its statuses come from this node (services/domain/proposals.py)
FORUM_CONVENER = {f[0]: f[1] for f in FORUMS}


# ----------------------------------------------------------------- proposals
def C(node: str, when: str, author: str, body: str, reply: int | None = None) -> dict[str, Any]:
    """A comment; ``reply`` is the index of an earlier comment in the same thread."""
    return {"node": node, "at": when, "author": author, "body": body, "reply": reply}


def E(node: str, when: str, endorser: str, note: str | None = None) -> dict[str, Any]:
    return {"node": node, "at": when, "endorser": endorser, "note": note}


def S(node: str, when: str, status: str, reason: str | None = None) -> dict[str, Any]:
    return {"node": node, "at": when, "status": status, "reason": reason}


PROPOSALS: list[dict[str, Any]] = [
    # ------------------------------------------------ forum ekonomi Maesa
    dict(
        id="usulan-pelatihan-menjahit-bitung-tengah", forum=F_EKONOMI, node=PKK, at="02-03 09:20",
        author="Meiske Rumondor",
        title="Pelatihan menjahit untuk ibu rumah tangga Kelurahan Bitung Tengah",
        body="Banyak ibu rumah tangga di Bitung Tengah ingin menambah penghasilan keluarga dengan "
             "usaha jahit rumahan, tetapi belum punya keterampilan dan alat. Kami mengusulkan "
             "pelatihan menjahit dasar selama 20 hari untuk 25 peserta per angkatan, dengan praktik "
             "membuat seragam sekolah dan pakaian sederhana yang bisa langsung dijual. PKK siap "
             "menyediakan tempat di balai kelurahan dan mendata peserta dari keluarga prasejahtera.",
        tags=["pelatihan", "menjahit", "perempuan", "usaha-rumahan"],
        location="Kelurahan Bitung Tengah, Kecamatan Maesa", budget=45_000_000,
        comments=[
            C(DINSOS, "02-05 10:12", "Hendra Lumenta",
              "Usulan ini sejalan dengan program pelatihan keterampilan Dinas Sosial tahun 2026. "
              "Berapa calon peserta yang sudah menyatakan minat?"),
            C(PKK, "02-05 14:40", "Meiske Rumondor",
              "Sudah 31 ibu yang mendaftar lewat kader PKK. Kalau bisa dua angkatan, semua yang "
              "membutuhkan bisa ikut.", reply=0),
            C(LSM, "02-07 08:55", "Fransiska Tumbelaka",
              "Sebaiknya pelatihan ditutup dengan sesi menghitung harga jual dan mencatat keuangan "
              "sederhana, supaya peserta siap membuka usaha."),
            C(DINKOP, "02-09 11:30", "Novita Pangemanan",
              "Dinas Koperasi dan UKM bisa membantu lulusan mengurus NIB lewat OSS setelah "
              "pelatihan.", reply=2),
        ],
        endorsements=[
            E(DINSOS, "02-06 09:00", DINSOS, "Masuk prioritas program pelatihan keterampilan perempuan."),
            E(PKK, "02-06 19:10", "Herlina Lasut", "Saya dan tetangga siap ikut pelatihan."),
            # the same endorsement sent twice (a double tap): it counts once
            E(PKK, "02-06 19:12", "Herlina Lasut", "Saya dan tetangga siap ikut pelatihan."),
        ],
        statuses=[
            S(DINSOS, "02-24 08:30", "under_review", "Dibahas pada musyawarah forum bulan Maret 2026."),
            S(DINSOS, "03-13 10:00", "accepted",
              "Disetujui pada musyawarah 12 Maret 2026: dua angkatan, April dan Mei 2026."),
            S(DINSOS, "06-30 15:00", "implemented",
              "Dua angkatan selesai: 46 peserta lulus dan 11 di antaranya sudah membuka usaha "
              "jahit rumahan."),
        ],
    ),
    dict(
        id="usulan-pelatihan-tata-boga-pakadoodan", forum=F_EKONOMI, node=PKK, at="02-10 10:05",
        author="Siti Rahma Daud",
        title="Pelatihan tata boga dan katering rumahan di Kelurahan Pakadoodan",
        body="Pesanan nasi kotak untuk kantor, pelabuhan dan acara keluarga di Bitung selalu ramai. "
             "Kami mengusulkan pelatihan tata boga 15 hari untuk 20 perempuan: menu khas Minahasa "
             "dan olahan ikan, kebersihan pangan, pengemasan, dan menghitung harga pokok. Setelah "
             "pelatihan, peserta dibantu membentuk kelompok katering yang bisa menerima pesanan "
             "bersama.",
        tags=["pelatihan", "tata-boga", "katering", "perempuan"],
        location="Kelurahan Pakadoodan, Kecamatan Maesa", budget=38_500_000,
        comments=[
            C(DINKES, "02-12 09:20", "Lidya Makalew",
              "Mohon materi keamanan pangan melibatkan petugas puskesmas, karena usaha katering "
              "nanti perlu sertifikat laik higiene sanitasi."),
            C(PKK, "02-12 13:02", "Siti Rahma Daud",
              "Terima kasih, kami masukkan satu hari khusus keamanan pangan bersama puskesmas.",
              reply=0),
            C(DINSOS, "02-16 10:45", "Hendra Lumenta",
              "Dinas Sosial bisa memakai dapur LKP mitra di Maesa kalau dapur balai kelurahan "
              "belum memadai."),
        ],
        endorsements=[
            E(DINSOS, "02-17 08:40", DINSOS),
            E(PKK, "02-17 20:15", "Rini Hasan",
              "Banyak ibu di lingkungan kami sudah biasa menerima pesanan kue, tinggal dibina."),
            E(DINKES, "02-18 08:10", DINKES, "Dengan catatan materi keamanan pangan."),
        ],
        statuses=[
            S(DINSOS, "02-24 08:35", "under_review", "Dibahas pada musyawarah forum bulan Maret 2026."),
            S(DINSOS, "03-13 10:05", "accepted", "Disetujui; pelatihan dijadwalkan Mei–Juni 2026."),
            S(DINSOS, "07-15 14:20", "implemented",
              "Pelatihan tata boga selesai: 20 peserta lulus, 8 sudah rutin menerima pesanan "
              "nasi kotak."),
        ],
    ),
    dict(
        id="usulan-pendampingan-pirt-halal", forum=F_EKONOMI, node=LSM, at="03-02 11:00",
        author="Fransiska Tumbelaka",
        title="Pendampingan izin PIRT dan sertifikat halal untuk usaha makanan rumahan",
        body="Ibu-ibu pembuat kue dan lulusan pelatihan tata boga di Maesa sulit menjual ke toko "
             "modern dan kantor karena produknya belum punya izin PIRT dan sertifikat halal. Kami "
             "mengusulkan pendampingan berkelompok: pengisian berkas, penyuluhan keamanan pangan, "
             "dan pendaftaran sertifikasi halal gratis (self declare) untuk 15 usaha.",
        tags=["perizinan", "pirt", "halal", "usaha-rumahan"],
        location="Kecamatan Maesa", budget=15_000_000,
        comments=[
            C(DINKOP, "03-04 09:15", "Novita Pangemanan",
              "Pendaftaran halal self declare bisa dibantu pendamping proses produk halal yang "
              "sudah terdaftar di Dinas Koperasi dan UKM."),
            C(DINKES, "03-05 10:30", "Lidya Makalew",
              "Penyuluhan keamanan pangan untuk PIRT dilakukan Dinas Kesehatan; mohon jadwalnya "
              "disesuaikan dengan kalender penyuluhan kami."),
            C(LSM, "03-05 16:48", "Fransiska Tumbelaka",
              "Baik, kami usulkan penyuluhan digabung untuk semua peserta pada bulan Oktober.",
              reply=1),
        ],
        endorsements=[
            E(DINKOP, "03-06 08:20", DINKOP),
            E(PKK, "03-08 18:30", "Siti Rahma Daud", "Kelompok katering kami sangat membutuhkan izin ini."),
        ],
        statuses=[
            S(DINSOS, "09-02 09:00", "under_review", "Diagendakan pada musyawarah September 2026."),
            S(DINSOS, "09-18 10:10", "accepted",
              "Disetujui; pendampingan oleh LSM Mitra Usaha Pesisir bersama Dinas Koperasi dan UKM."),
        ],
    ),
    dict(
        id="usulan-mesin-jahit-pinjam-pakai", forum=F_EKONOMI, node=PKK, at="07-06 10:30",
        author="Deisy Sumampouw",
        title="Mesin jahit pinjam pakai bagi lulusan pelatihan menjahit",
        body="Dari 46 lulusan pelatihan menjahit, baru 11 yang bisa membuka usaha karena sebagian "
             "besar tidak memiliki mesin jahit sendiri. Kami mengusulkan 15 mesin jahit pinjam "
             "pakai yang dikelola PKK: lulusan memakai mesin selama satu tahun sambil menabung di "
             "kas kelompok, lalu mesin digilir ke lulusan berikutnya.",
        tags=["menjahit", "peralatan", "usaha-rumahan"],
        location="Kecamatan Maesa", budget=60_000_000,
        comments=[
            C(DINSOS, "07-08 09:40", "Hendra Lumenta",
              "Mesin jahit bisa dianggarkan lewat APBD Perubahan 2026. Mohon PKK menyiapkan "
              "aturan gilir dan daftar penerima."),
            C(PKK, "07-09 15:05", "Deisy Sumampouw",
              "Aturan gilir sudah kami susun bersama lulusan; penerima pertama diutamakan yang "
              "sudah punya pesanan.", reply=0),
            C(LSM, "07-14 11:20", "Olvie Kalalo",
              "Tabungan kelompok sebaiknya dicatat di buku kas bersama supaya transparan; kami "
              "siap melatih bendaharanya."),
        ],
        endorsements=[
            E(PKK, "07-07 19:00", "Herlina Lasut",
              "Saya lulusan angkatan pertama, sudah ada pesanan seragam tapi belum punya mesin."),
            E(LSM, "07-10 09:30", LSM),
        ],
        statuses=[
            S(DINSOS, "09-02 09:05", "under_review", "Diagendakan pada musyawarah September 2026."),
            S(DINSOS, "09-18 10:15", "accepted",
              "Disetujui 15 unit, menunggu pengesahan APBD Perubahan 2026."),
        ],
    ),
    dict(
        id="usulan-galeri-produk-umkm-maesa", forum=F_EKONOMI, node=LSM, at="07-20 09:10",
        author="Olvie Kalalo",
        title="Pojok pamer produk UMKM perempuan di Kantor Camat Maesa",
        body="Produk jahitan, kue kering dan olahan ikan buatan ibu-ibu Maesa belum punya tempat "
             "pamer yang dilihat banyak orang. Kami mengusulkan pojok pamer di lobi Kantor Camat "
             "Maesa dengan rak, label harga dan nomor pemesanan, dikelola bergiliran oleh kelompok "
             "usaha.",
        tags=["pemasaran", "umkm", "perempuan"],
        location="Kantor Camat Maesa", budget=12_000_000,
        comments=[
            C(BAPPEDA, "07-22 10:00", "Ronald Tambuwun",
              "Ide yang baik. Apakah sudah dibicarakan dengan Camat soal ruang di lobi? Ruang itu "
              "juga dipakai untuk antrean pelayanan administrasi."),
            C(LSM, "07-22 13:30", "Olvie Kalalo",
              "Belum resmi; kami baru bertanya lisan ke sekretaris camat.", reply=0),
            C(PKK, "07-25 17:45", "Meiske Rumondor",
              "Bisa juga dipertimbangkan lokasi dekat pasar atau pelabuhan yang lebih ramai pembeli."),
        ],
        endorsements=[
            E(PKK, "07-21 20:00", PKK),
            E(PKK, "07-23 19:30", "Siti Rahma Daud"),
        ],
        statuses=[
            S(DINSOS, "09-02 09:10", "under_review", "Diagendakan pada musyawarah September 2026."),
            S(DINSOS, "09-18 10:20", "open",
              "Dikembalikan ke forum: lokasi dan pengelola pojok pamer perlu disepakati dulu "
              "dengan Kantor Camat Maesa."),
        ],
    ),
    dict(
        id="usulan-pemasaran-daring-umkm-perempuan", forum=F_EKONOMI, node=DINKOP, at="08-10 10:00",
        author="Novita Pangemanan",
        title="Pelatihan foto produk dan pemasaran daring untuk usaha rumahan perempuan",
        body="Pembeli sekarang banyak mencari produk lewat media sosial dan lokapasar. Kami "
             "mengusulkan pelatihan dua hari untuk 30 pelaku usaha rumahan: memotret produk dengan "
             "ponsel, menulis deskripsi, menghitung ongkos kirim, dan melayani pesanan lewat "
             "WhatsApp Business.",
        tags=["pemasaran-daring", "umkm", "pelatihan"],
        location="Kecamatan Maesa", budget=18_000_000,
        comments=[
            C(PKK, "08-11 19:30", "Deisy Sumampouw",
              "Mohon pelatihan dijadwalkan sore hari, karena pagi banyak ibu yang mengantar anak "
              "sekolah."),
            C(DINKOP, "08-12 08:50", "Novita Pangemanan",
              "Baik, kami jadwalkan pukul 14.00–17.00.", reply=0),
        ],
        endorsements=[
            E(PKK, "08-11 20:05", PKK),
            E(LSM, "08-13 10:00", LSM, "Kami bisa menyumbang materi pencatatan pesanan."),
        ],
        statuses=[
            S(DINSOS, "09-18 10:25", "accepted", "Disetujui; pelatihan November 2026 untuk 30 peserta."),
        ],
    ),
    dict(
        id="usulan-koperasi-perempuan-maesa", forum=F_EKONOMI, node=PKK, at="08-25 16:00",
        author="Jeane Wowor",
        title="Pembentukan koperasi simpan pinjam perempuan Maesa",
        body="Lulusan pelatihan yang sudah berusaha sering meminjam ke rentenir untuk membeli bahan. "
             "Kami ingin membentuk koperasi simpan pinjam perempuan dengan simpanan pokok kecil, "
             "agar anggota bisa meminjam modal bahan dengan jasa ringan dan belajar mengelola "
             "keuangan bersama.",
        tags=["koperasi", "modal", "perempuan"],
        location="Kecamatan Maesa", budget=None,
        comments=[
            C(DINKOP, "08-27 09:30", "Novita Pangemanan",
              "Dinas Koperasi dan UKM bisa memfasilitasi rapat pembentukan dan akta pendirian. "
              "Koperasi primer membutuhkan minimal 9 anggota pendiri."),
            C(PKK, "08-27 20:10", "Jeane Wowor",
              "Sudah ada 14 ibu yang bersedia menjadi anggota pendiri.", reply=0),
            C(LSM, "09-01 10:40", "Fransiska Tumbelaka",
              "Kami sarankan pengurus ikut pelatihan pembukuan koperasi sebelum mulai menerima "
              "simpanan."),
        ],
        endorsements=[
            E(PKK, "08-26 18:45", "Herlina Lasut"),
            E(PKK, "08-26 19:20", "Deisy Sumampouw"),
        ],
        statuses=[],
    ),
    dict(
        id="usulan-pojok-bermain-anak-saat-pelatihan", forum=F_EKONOMI, node=PKK, at="10-20 10:15",
        author="Stevi Mamahit",
        title="Pojok bermain anak selama pelatihan keterampilan",
        body="Banyak ibu batal ikut pelatihan karena tidak ada yang menjaga anak balita. Kami "
             "mengusulkan pojok bermain anak di lokasi pelatihan yang dijaga dua kader PKK secara "
             "bergantian, dengan mainan edukatif sederhana.",
        tags=["perempuan", "anak", "pelatihan"],
        location="Balai Kelurahan Bitung Tengah, Kecamatan Maesa", budget=4_500_000,
        comments=[
            C(DINSOS, "10-22 11:00", "Hendra Lumenta",
              "Usulan ini akan kami bawa ke musyawarah Desember. Mohon rincian kebutuhan mainan "
              "dan honor kader."),
            C(YPA, "10-23 09:25", "Henny Kansil",
              "Yayasan punya paket mainan edukatif yang masih layak dan bisa dipinjamkan."),
        ],
        endorsements=[
            E(PKK, "10-21 19:00", "Meiske Rumondor"),
            E(YPA, "10-23 09:30", YPA),
        ],
        statuses=[],
    ),
    # ------------------------------------------------ forum tani dan nelayan
    dict(
        id="usulan-modal-kelompok-tani-batuputih", forum=F_TANI, node=KT, at="02-16 09:00",
        author="Yohanis Mandagi",
        title="Bantuan modal bibit cabai dan pupuk untuk Kelompok Tani Maju Bersama",
        body="Kelompok Tani Maju Bersama (24 anggota) menanam cabai dan tomat di lahan 6 hektare di "
             "Batuputih. Setiap musim tanam kami kekurangan modal bibit dan pupuk sehingga terpaksa "
             "meminjam ke tengkulak dan menjual hasil panen dengan harga rendah. Kami mengusulkan "
             "bantuan modal bibit dan pupuk untuk satu musim tanam, dikembalikan ke kas kelompok "
             "setelah panen agar bisa digulirkan ke anggota lain.",
        tags=["modal", "pertanian", "cabai", "kelompok-tani"],
        location="Kelurahan Batuputih Bawah, Kecamatan Ranowulu", budget=75_000_000,
        comments=[
            C(DINKOP, "02-18 10:20", "Arnold Tulung",
              "Apakah kelompok sudah punya rekening dan pembukuan? Itu syarat penyaluran dana "
              "bergulir."),
            C(KT, "02-18 18:05", "Yohanis Mandagi",
              "Rekening kelompok sudah ada, tapi pembukuan masih sederhana di buku tulis.", reply=0),
            C(LSM, "02-19 09:30", "Fransiska Tumbelaka",
              "Kelompok ini bisa ikut pelatihan pembukuan yang kami usulkan di forum ini.", reply=1),
            C(BAPPEDA, "03-02 14:00", "Ronald Tambuwun",
              "Bappeda mencatat usulan ini. Skema dana bergulir lebih berkelanjutan daripada hibah."),
        ],
        endorsements=[
            E(KT, "02-17 07:30", KT),
            E(DINKOP, "02-20 09:00", DINKOP, "Memenuhi syarat dana bergulir."),
            E(KT, "02-21 19:10", "Roy Kaunang", "Anggota siap mengembalikan modal setelah panen."),
        ],
        statuses=[
            S(DINKOP, "04-06 09:00", "under_review", "Dibahas pada rapat forum 22 April 2026."),
            S(DINKOP, "04-23 10:00", "accepted",
              "Disetujui sebagai dana bergulir Rp75 juta untuk satu musim tanam."),
            S(DINKOP, "08-21 11:00", "implemented",
              "Modal disalurkan Mei 2026; panen pertama 6,2 ton cabai dan tomat, sebagian dijual "
              "ke pembeli di Manado."),
        ],
    ),
    dict(
        id="usulan-pelatihan-pembukuan-kelompok-tani", forum=F_TANI, node=LSM, at="02-20 11:15",
        author="Fransiska Tumbelaka",
        title="Pelatihan pembukuan sederhana dan pemasaran untuk kelompok tani dan nelayan",
        body="Banyak kelompok tani dan nelayan tidak mencatat modal, biaya dan hasil penjualan, "
             "sehingga tidak tahu untung-rugi dan sulit mengakses pinjaman. Kami mengusulkan "
             "pelatihan tiga hari tentang buku kas, harga pokok, dan cara menawarkan produk ke "
             "pembeli tetap, diikuti pendampingan bulanan selama enam bulan.",
        tags=["pembukuan", "pemasaran", "kelompok-tani", "nelayan"],
        location="Kecamatan Ranowulu dan Kecamatan Lembeh Selatan", budget=22_000_000,
        comments=[
            C(KN, "02-23 07:45", "Hasan Tatuhe",
              "Kelompok nelayan Papusungan ingin ikut. Mohon jadwal tidak bertepatan dengan musim "
              "cakalang."),
            C(LSM, "02-23 12:10", "Fransiska Tumbelaka",
              "Siap, kami jadwalkan saat bulan terang ketika nelayan tidak melaut.", reply=0),
            C(DINKOP, "02-25 09:00", "Arnold Tulung",
              "Materi bisa memakai aplikasi pencatatan keuangan UMKM yang gratis, supaya laporan "
              "mudah dibawa ke bank."),
        ],
        endorsements=[
            E(KT, "02-22 08:00", KT),
            E(KN, "02-23 07:50", KN),
        ],
        statuses=[
            S(DINKOP, "04-23 10:05", "accepted",
              "Disetujui; pelatihan Juni 2026 untuk 4 kelompok tani dan 2 kelompok nelayan."),
            S(DINKOP, "07-10 16:00", "implemented",
              "Pelatihan selesai untuk 6 kelompok (71 anggota); pendampingan bulanan berjalan."),
        ],
    ),
    dict(
        id="usulan-cool-box-nelayan-papusungan", forum=F_TANI, node=KN, at="03-05 08:30",
        author="Hasan Tatuhe",
        title="Cool box dan pasokan es balok untuk nelayan Papusungan",
        body="Nelayan kecil di Papusungan melaut dengan perahu tanpa palka pendingin, sehingga ikan "
             "harus cepat dijual murah ke pengepul sebelum rusak. Dengan 30 cool box dan kerja sama "
             "pasokan es balok, hasil tangkapan bisa dibawa ke pelabuhan perikanan dan dijual "
             "dengan harga lebih baik.",
        tags=["nelayan", "rantai-dingin", "peralatan"],
        location="Kelurahan Papusungan, Kecamatan Lembeh Selatan", budget=40_000_000,
        comments=[
            C(DKP, "03-06 10:00", "Victor Lengkong",
              "Dinas Perikanan punya alokasi sarana rantai dingin untuk nelayan kecil tahun ini. "
              "Berapa anggota kelompok yang aktif melaut?"),
            C(KN, "03-06 17:20", "Hasan Tatuhe",
              "Ada 30 anggota aktif dengan perahu pelang dan londe.", reply=0),
            C(LSM, "03-09 11:00", "Olvie Kalalo",
              "Setelah cool box tersedia, kelompok bisa mencatat harga jual sebelum dan sesudahnya "
              "untuk melihat dampaknya."),
        ],
        endorsements=[
            E(KN, "03-05 09:00", KN),
            E(DKP, "03-07 08:00", DKP, "Sesuai program sarana rantai dingin nelayan kecil."),
            # re-sent by the agency's system after a timeout: counts once
            E(DKP, "03-07 08:03", DKP, "Sesuai program sarana rantai dingin nelayan kecil."),
        ],
        statuses=[
            S(DINKOP, "04-06 09:05", "under_review", "Dibahas pada rapat forum 22 April 2026."),
            S(DINKOP, "04-23 10:10", "accepted", "Disetujui; pengadaan 30 cool box oleh Dinas Perikanan."),
            S(DKP, "08-21 11:05", "implemented",
              "30 cool box diserahkan Juli 2026; harga jual rata-rata anggota naik sekitar 20 persen."),
        ],
    ),
    dict(
        id="usulan-pengolahan-cakalang-fufu", forum=F_TANI, node=KN, at="03-18 10:00",
        author="Nurhayati Tatuhe",
        title="Pelatihan dan peralatan pengolahan cakalang fufu untuk istri nelayan",
        body="Saat musim cakalang, harga ikan segar jatuh. Istri-istri nelayan di Papusungan ingin "
             "mengolah cakalang menjadi cakalang fufu yang lebih tahan lama dan dicari pembeli dari "
             "Manado dan luar daerah. Kami mengusulkan pelatihan pengolahan higienis, perbaikan "
             "rumah pengasapan, dan kemasan berlabel untuk 20 orang.",
        tags=["nelayan", "pengolahan-ikan", "perempuan", "cakalang-fufu"],
        location="Kelurahan Papusungan, Kecamatan Lembeh Selatan", budget=55_000_000,
        comments=[
            C(DKP, "03-20 09:10", "Victor Lengkong",
              "Rumah pengasapan perlu memenuhi standar sanitasi agar produk bisa bersertifikat. "
              "Kami bisa mengirim petugas untuk menilai kondisinya."),
            C(KN, "03-20 16:30", "Nurhayati Tatuhe",
              "Silakan, rumah pengasapan kami masih berlantai tanah dan berdinding papan.", reply=0),
            C(DINKES, "03-24 10:00", "Lidya Makalew",
              "Cakalang fufu yang diolah higienis juga bisa menjadi lauk PMT balita; ini bisa "
              "dihubungkan dengan forum gizi."),
            C(DINKOP, "04-08 11:30", "Arnold Tulung",
              "Untuk kemasan berlabel kami bisa membantu desain dan pendaftaran merek kelompok."),
        ],
        endorsements=[
            E(KN, "03-19 18:00", "Marthen Pontoh"),
            E(DINKES, "03-25 08:30", DINKES, "Mendukung pemanfaatan ikan lokal untuk gizi keluarga."),
        ],
        statuses=[
            S(DINKOP, "04-06 09:10", "under_review", "Dibahas pada rapat forum 22 April 2026."),
            S(DKP, "08-21 11:10", "accepted",
              "Disetujui setelah anggaran tersedia di APBD Perubahan; renovasi rumah pengasapan "
              "didahulukan."),
        ],
    ),
    dict(
        id="usulan-pasar-tani-mingguan", forum=F_TANI, node=KT, at="05-11 09:30",
        author="Roy Kaunang",
        title="Pasar tani mingguan di pusat Kota Bitung",
        body="Petani dari Ranowulu terpaksa menjual ke tengkulak karena tidak punya tempat "
             "berjualan langsung ke konsumen. Kami mengusulkan pasar tani setiap Sabtu pagi di "
             "lapangan terbuka di pusat kota, dengan tenda dan meja yang disediakan Pemkot.",
        tags=["pemasaran", "pertanian", "pasar"],
        location="Kecamatan Maesa", budget=30_000_000,
        comments=[
            C(BAPPEDA, "05-13 10:15", "Ronald Tambuwun",
              "Perlu dicek izin penggunaan lapangan dan pengaturan lalu lintas setiap Sabtu."),
            C(DINKOP, "05-14 09:45", "Arnold Tulung",
              "Dari pengalaman kota lain, pasar tani mingguan sepi setelah beberapa bulan kalau tidak "
              "ada pembeli tetap. Mungkin lebih efektif kemitraan dengan hotel dan katering."),
            C(KT, "05-14 19:20", "Roy Kaunang",
              "Kami terbuka pada kemitraan, asal harganya lebih baik dari tengkulak.", reply=1),
        ],
        endorsements=[
            E(KT, "05-12 07:00", KT),
            E(KT, "05-12 19:40", "Yohanis Mandagi"),
        ],
        statuses=[
            S(DINKOP, "08-03 09:00", "under_review", "Dibahas pada rapat forum 20 Agustus 2026."),
            S(DKP, "08-21 11:15", "rejected",
              "Tidak ada lahan yang memenuhi syarat di pusat kota; forum memilih kemitraan dengan "
              "pembeli tetap (usulan kemitraan pasokan ke hotel, restoran dan katering)."),
        ],
    ),
    dict(
        id="usulan-kemitraan-pemasok-hotel-restoran", forum=F_TANI, node=DINKOP, at="05-25 10:30",
        author="Novita Pangemanan",
        title="Kemitraan pasokan sayur dan cabai ke hotel, restoran dan katering",
        body="Hotel, restoran dan usaha katering di Bitung dan Manado membutuhkan pasokan sayur dan "
             "cabai yang tetap. Kami mengusulkan Dinas Koperasi dan UKM memfasilitasi temu bisnis "
             "dan kontrak pasokan antara kelompok tani dan pembeli, dengan standar mutu dan jadwal "
             "panen yang disepakati.",
        tags=["pemasaran", "kemitraan", "pertanian"],
        location="Kota Bitung dan Kota Manado", budget=8_000_000,
        comments=[
            C(KT, "05-27 18:00", "Yohanis Mandagi",
              "Kami bisa memasok cabai dan tomat setiap minggu kalau jadwal tanam diatur bergilir "
              "antaranggota."),
            C(LSM, "05-28 10:20", "Fransiska Tumbelaka",
              "Kontrak perlu mencantumkan harga minimum agar petani tidak rugi saat harga pasar "
              "turun.", reply=0),
            C(BAPPEDA, "06-03 09:00", "Ronald Tambuwun",
              "Bappeda mendukung; hasilnya bisa menjadi contoh bagi kelompok tani di kecamatan lain."),
        ],
        endorsements=[
            E(KT, "05-26 07:15", KT, "Ini yang kami butuhkan: pembeli tetap."),
            E(LSM, "05-28 10:25", LSM),
        ],
        statuses=[
            S(DKP, "08-21 11:20", "accepted",
              "Disetujui; Dinas Koperasi dan UKM menyusun MoU dengan calon pembeli."),
        ],
    ),
    dict(
        id="usulan-alat-tangkap-ramah-lingkungan", forum=F_TANI, node=KN, at="06-15 08:40",
        author="Hasan Tatuhe",
        title="Penggantian alat tangkap dengan jaring dan pancing ramah lingkungan",
        body="Sebagian nelayan kecil di Lembeh masih memakai jaring bermata terlalu kecil yang ikut "
             "menangkap ikan muda. Kami mengusulkan penggantian alat tangkap untuk 40 nelayan "
             "dengan jaring sesuai ketentuan dan pancing ulur, disertai penyuluhan tentang daerah "
             "penangkapan di sekitar Selat Lembeh.",
        tags=["nelayan", "alat-tangkap", "lingkungan"],
        location="Kecamatan Lembeh Selatan dan Kecamatan Lembeh Utara", budget=90_000_000,
        comments=[
            C(DKP, "06-17 10:00", "Victor Lengkong",
              "Usulan ini perlu diajukan juga ke program bantuan alat tangkap provinsi; kami bantu "
              "verifikasi data penerima."),
            C(LSM, "06-18 14:30", "Olvie Kalalo",
              "Penyuluhan sebaiknya melibatkan pengelola wisata selam di Selat Lembeh, karena mereka "
              "juga berkepentingan menjaga terumbu karang."),
        ],
        endorsements=[
            E(KN, "06-16 07:00", KN),
            E(LSM, "06-18 14:35", LSM),
        ],
        statuses=[
            S(DINKOP, "08-03 09:05", "under_review",
              "Menunggu keputusan bantuan alat tangkap provinsi; data penerima sedang diverifikasi."),
        ],
    ),
    dict(
        id="usulan-asuransi-nelayan-lembeh", forum=F_TANI, node=KN, at="07-02 09:00",
        author="Marthen Pontoh",
        title="Pendaftaran asuransi nelayan dan kartu KUSUKA untuk nelayan Lembeh",
        body="Banyak nelayan di Pulau Lembeh belum terdaftar asuransi nelayan dan belum memiliki "
             "kartu KUSUKA, sehingga tidak bisa mengakses bantuan pemerintah dan tidak terlindungi "
             "saat kecelakaan di laut. Kami mengusulkan layanan jemput bola pendaftaran di setiap "
             "kelurahan pesisir Lembeh.",
        tags=["nelayan", "asuransi", "perlindungan-sosial"],
        location="Pulau Lembeh", budget=None,
        comments=[
            C(DKP, "07-03 10:30", "Victor Lengkong",
              "Kami siap membuka layanan jemput bola. Mohon kelompok mengumpulkan fotokopi KTP dan "
              "KK anggota lebih dulu."),
            C(KN, "07-04 16:00", "Marthen Pontoh",
              "Baik, ketua RT di Papusungan dan Pintukota sudah membantu mengumpulkan berkas.",
              reply=0),
            C(DINSOS, "07-07 09:15", "Hendra Lumenta",
              "Nelayan yang belum masuk DTKS sebaiknya didata sekalian agar bisa ikut program "
              "perlindungan sosial."),
        ],
        endorsements=[
            E(KN, "07-02 09:10", KN),
            E(KN, "07-05 18:30", "Hasan Tatuhe"),
        ],
        statuses=[
            S(DINKOP, "08-03 09:10", "under_review", "Dibahas pada rapat forum 20 Agustus 2026."),
            S(DKP, "08-21 11:25", "accepted",
              "Disetujui; target 150 nelayan terdaftar sebelum awal November 2026."),
        ],
    ),
    # ------------------------------------------------ forum kesehatan dan gizi
    dict(
        id="usulan-kelas-mpasi-posyandu-bitung-tengah", forum=F_GIZI, node=PKK, at="01-20 10:00",
        author="Grace Palar",
        title="Kelas masak MP-ASI berbahan ikan di Posyandu Melati Bitung Tengah",
        body="Banyak ibu memberi bayi bubur instan atau nasi dengan kuah saja karena belum tahu cara "
             "membuat MP-ASI bergizi yang murah. Kami mengusulkan kelas masak MP-ASI bulanan di "
             "posyandu dengan bahan lokal seperti ikan, telur, daun kelor dan pisang, dipandu kader "
             "dan tenaga gizi puskesmas.",
        tags=["gizi", "mp-asi", "posyandu", "stunting"],
        location="Posyandu Melati, Kelurahan Bitung Tengah, Kecamatan Maesa", budget=9_500_000,
        comments=[
            C(DINKES, "01-22 09:00", "Lidya Makalew",
              "Tenaga gizi puskesmas siap menjadi narasumber. Mohon daftar balita sasaran disiapkan "
              "kader."),
            C(PKK, "01-22 15:20", "Grace Palar",
              "Ada 38 balita di wilayah posyandu kami, 6 di antaranya terdata stunting.", reply=0),
            C(YPA, "01-24 10:10", "Christy Warouw",
              "Yayasan bisa menyumbang peralatan masak dan resep menu lokal yang sudah kami uji."),
        ],
        endorsements=[
            E(PKK, "01-21 19:00", "Meiske Rumondor"),
            E(DINKES, "01-23 08:00", DINKES),
        ],
        statuses=[
            S(DINKES, "03-27 10:00", "accepted",
              "Disetujui pada rembuk forum 26 Maret 2026; enam kelas April–Juli."),
            S(DINKES, "07-31 15:00", "implemented",
              "Enam kelas selesai diikuti 34 ibu balita; resep MP-ASI dibagikan ke posyandu lain."),
        ],
    ),
    dict(
        id="usulan-pmt-ikan-lokal-balita", forum=F_GIZI, node=YPA, at="01-28 09:30",
        author="Christy Warouw",
        title="PMT berbahan ikan lokal untuk balita gizi kurang",
        body="Bitung kaya ikan, tetapi makanan tambahan untuk balita gizi kurang masih berupa "
             "biskuit pabrikan. Kami mengusulkan pemberian makanan tambahan lokal berbahan ikan "
             "dalam dua tahap untuk 120 balita gizi kurang di Girian dan Madidir, dimasak kader "
             "posyandu dengan menu dari tenaga gizi.",
        tags=["gizi", "pmt", "stunting", "pangan-lokal"],
        location="Kecamatan Girian dan Kecamatan Madidir", budget=64_000_000,
        comments=[
            C(DINKES, "01-30 10:00", "Lidya Makalew",
              "Menu perlu memenuhi petunjuk teknis PMT lokal dari Kementerian Kesehatan. Kami kirim "
              "panduan menunya."),
            C(YPA, "01-30 14:45", "Christy Warouw", "Terima kasih, menunya kami sesuaikan.", reply=0),
            C(KN, "02-02 08:00", "Nurhayati Tatuhe",
              "Kelompok nelayan kami bisa memasok ikan segar dengan harga kelompok."),
            C(DKP, "02-03 09:30", "Victor Lengkong",
              "Kegiatan gemar makan ikan Dinas Perikanan bisa digabungkan dengan kegiatan ini.",
              reply=2),
        ],
        endorsements=[
            E(KN, "02-02 08:05", KN),
            E(DKP, "02-03 09:35", DKP),
        ],
        statuses=[
            S(DINKES, "03-09 09:00", "under_review", "Diagendakan pada rembuk forum 26 Maret 2026."),
            S(DINKES, "03-27 10:05", "accepted",
              "Disetujui; PMT lokal mulai Juni 2026, dikelola Yayasan Pelita Anak Bitung."),
        ],
    ),
    dict(
        id="usulan-penyegaran-kader-posyandu", forum=F_GIZI, node=DINKES, at="02-05 08:45",
        author="Lidya Makalew",
        title="Pelatihan penyegaran kader posyandu: pengukuran dan pencatatan tumbuh kembang",
        body="Hasil pengukuran panjang dan tinggi badan balita di banyak posyandu belum akurat, "
             "sehingga angka stunting bisa keliru. Kami mengusulkan pelatihan penyegaran dua hari "
             "untuk 120 kader dari 60 posyandu tentang cara mengukur, mengisi KMS dan memasukkan "
             "data ke aplikasi e-PPGBM.",
        tags=["posyandu", "kader", "stunting", "data"],
        location="Kota Bitung", budget=27_000_000,
        comments=[
            C(PKK, "02-06 19:00", "Grace Palar",
              "Kader di posyandu kami sangat membutuhkan ini, terutama cara mengukur bayi yang belum "
              "bisa berdiri."),
            C(YPA, "02-09 11:00", "Christy Warouw",
              "Mohon kader juga dilatih konseling singkat untuk ibu yang berat badan anaknya tidak "
              "naik."),
            C(DINKES, "02-09 15:30", "Lidya Makalew",
              "Setuju, kami tambahkan setengah hari materi konseling.", reply=1),
        ],
        endorsements=[
            E(PKK, "02-06 19:05", PKK),
            E(YPA, "02-09 11:05", YPA),
        ],
        statuses=[
            S(DINKES, "03-27 10:10", "accepted", "Disetujui; pelatihan Mei–Juni 2026 dalam empat gelombang."),
            S(DINKES, "06-12 14:00", "implemented",
              "118 kader dari 60 posyandu sudah mengikuti pelatihan penyegaran."),
        ],
    ),
    dict(
        id="usulan-alat-antropometri-posyandu", forum=F_GIZI, node=YPA, at="02-12 10:00",
        author="Christy Warouw",
        title="Alat antropometri standar untuk 20 posyandu",
        body="Banyak posyandu masih memakai timbangan dacin dan meteran kain yang tidak akurat. "
             "Kami mengusulkan pengadaan 20 set alat antropometri standar (timbangan digital, alat "
             "ukur panjang badan dan pengukur tinggi badan) untuk posyandu dengan kasus stunting "
             "tertinggi.",
        tags=["posyandu", "peralatan", "stunting"],
        location="Kota Bitung", budget=48_000_000,
        comments=[
            C(DINKES, "02-13 09:30", "Lidya Makalew",
              "Alat antropometri bisa dibeli lewat e-katalog; kami cek ketersediaan anggaran tahun ini."),
            C(BAPPEDA, "02-20 10:00", "Ronald Tambuwun",
              "Mohon daftar 20 posyandu prioritas disusun berdasarkan data stunting terakhir."),
            C(YPA, "02-20 16:40", "Christy Warouw",
              "Daftar posyandu prioritas sudah kami kirim ke Dinas Kesehatan.", reply=1),
        ],
        endorsements=[
            E(PKK, "02-14 19:30", PKK),
            E(BAPPEDA, "02-21 08:30", BAPPEDA),
        ],
        statuses=[
            S(DINKES, "03-09 09:05", "under_review", "Diagendakan pada rembuk forum 26 Maret 2026."),
            S(DINKES, "03-27 10:15", "accepted", "Disetujui; pengadaan oleh Dinas Kesehatan."),
        ],
    ),
    dict(
        id="usulan-kebun-gizi-pekarangan", forum=F_GIZI, node=KT, at="04-14 09:00",
        author="Roy Kaunang",
        title="Kebun gizi pekarangan untuk keluarga berisiko stunting",
        body="Keluarga berisiko stunting di Ranowulu punya pekarangan yang belum dimanfaatkan. "
             "Kelompok tani siap mendampingi 40 keluarga menanam sayur, kelor dan cabai di "
             "pekarangan dengan bibit dan polybag dari kelompok, supaya sayur bergizi tersedia "
             "setiap hari.",
        tags=["gizi", "pekarangan", "pertanian", "stunting"],
        location="Kecamatan Ranowulu", budget=14_000_000,
        comments=[
            C(DINKES, "04-16 10:00", "Lidya Makalew",
              "Data keluarga berisiko bisa diambil dari Tim Pendamping Keluarga di kelurahan."),
            C(YPA, "04-17 09:20", "Henny Kansil",
              "Kebun gizi akan lebih berhasil kalau ada demo masak hasil kebun di posyandu."),
        ],
        endorsements=[
            E(KT, "04-15 07:30", KT),
            E(YPA, "04-17 09:25", "Henny Kansil"),
        ],
        statuses=[
            S(DINKES, "05-04 09:00", "under_review",
              "Sedang dinilai kecocokannya dengan program pangan pekarangan kota."),
        ],
    ),
    dict(
        id="usulan-edukasi-anemia-remaja-putri", forum=F_GIZI, node=KARTA, at="05-19 16:00",
        author="Anastasia Rawung",
        title="Edukasi anemia dan minum tablet tambah darah bersama untuk remaja putri",
        body="Banyak remaja putri tidak meminum tablet tambah darah yang dibagikan di sekolah karena "
             "tidak tahu manfaatnya. Karang taruna mengusulkan kegiatan minum tablet tambah darah "
             "bersama setiap minggu dan edukasi gizi remaja, dengan teman sebaya sebagai penggerak.",
        tags=["gizi", "remaja", "anemia"],
        location="Kelurahan Madidir Ure, Kecamatan Madidir", budget=6_000_000,
        comments=[
            C(DINKES, "05-21 10:00", "Lidya Makalew",
              "Puskesmas bisa menyediakan tablet tambah darah dan materi edukasi. Remaja putri yang "
              "sehat hari ini adalah calon ibu yang sehat nanti."),
            C(KARTA, "05-21 19:30", "Anastasia Rawung",
              "Kami punya 12 relawan remaja yang siap menjadi penggerak.", reply=0),
        ],
        endorsements=[
            E(KARTA, "05-20 18:00", KARTA),
            E(DINKES, "05-22 08:15", DINKES),
        ],
        statuses=[],
    ),
    dict(
        id="usulan-sumur-bor-posyandu-lembeh", forum=F_GIZI, node=KN, at="06-08 08:30",
        author="Marthen Pontoh",
        title="Sumur bor air bersih untuk posyandu di Pulau Lembeh",
        body="Beberapa posyandu di Pulau Lembeh kesulitan air bersih untuk memasak PMT dan cuci "
             "tangan. Kami mengusulkan pembangunan sumur bor dan tandon air di tiga lokasi posyandu.",
        tags=["air-bersih", "posyandu", "sanitasi"],
        location="Kecamatan Lembeh Selatan", budget=150_000_000,
        comments=[
            C(DINKES, "06-10 10:00", "Lidya Makalew",
              "Air bersih sangat penting, tetapi pembangunan sumur bor bukan kewenangan forum gizi. "
              "Kami akan meneruskannya ke perangkat daerah yang menangani air minum."),
            C(BAPPEDA, "06-12 09:00", "Ronald Tambuwun",
              "Usulan ini bisa dibawa ke Musrenbang kecamatan tahun depan agar masuk perencanaan "
              "infrastruktur.", reply=0),
        ],
        endorsements=[
            E(KN, "06-09 07:45", KN),
        ],
        statuses=[
            S(DINKES, "06-22 09:00", "under_review", "Dinilai kesesuaiannya dengan cakupan forum."),
            S(DINKES, "07-20 10:00", "rejected",
              "Di luar cakupan forum gizi; diteruskan ke Musrenbang Kecamatan Lembeh Selatan 2027 "
              "untuk perencanaan infrastruktur air minum."),
        ],
    ),
    # ------------------------------------------------ forum pendidikan Madidir
    dict(
        id="usulan-bantuan-transport-anak-nelayan", forum=F_SEKOLAH, node=YPA, at="03-10 10:00",
        author="Yulius Sondakh",
        title="Bantuan transport sekolah untuk anak nelayan",
        body="Anak-anak nelayan di Madidir dan Lembeh banyak yang berhenti sekolah setelah SMP "
             "karena ongkos ke SMA/SMK mahal dan orang tua lebih memilih anak membantu melaut. Kami "
             "mengusulkan bantuan transport bulanan bersyarat kehadiran untuk 70 siswa dari "
             "keluarga nelayan kecil.",
        tags=["pendidikan", "anak-nelayan", "bantuan-transport"],
        location="Kecamatan Madidir dan Pulau Lembeh", budget=84_000_000,
        comments=[
            C(DISDIK, "03-12 09:00", "Johny Supit",
              "Syarat kehadiran minimal 85 persen bisa dipantau lewat wali kelas. Kami bantu "
              "koordinasi dengan sekolah."),
            C(KN, "03-14 17:30", "Hasan Tatuhe",
              "Banyak anak anggota kami sebenarnya ingin lanjut sekolah. Ongkos ojek dan perahu "
              "memang berat."),
            C(DINSOS, "03-18 10:20", "Hendra Lumenta",
              "Bantuan bersyarat bisa disalurkan lewat rekening seperti bantuan sosial lainnya; "
              "Dinas Sosial siap membantu.", reply=0),
        ],
        endorsements=[
            E(DISDIK, "03-13 08:00", DISDIK),
            E(KN, "03-14 17:35", KN),
        ],
        statuses=[
            S(DISDIK, "06-01 09:00", "under_review", "Dibahas pada musyawarah forum 18 Juni 2026."),
            S(DISDIK, "06-19 10:00", "accepted",
              "Disetujui; bantuan transport semester ganjil 2026/2027 untuk 70 siswa."),
        ],
    ),
    dict(
        id="usulan-rumah-belajar-madidir-ure", forum=F_SEKOLAH, node=KARTA, at="03-23 19:00",
        author="Rivaldo Runtuwene",
        title="Rumah belajar sore di Balai Kelurahan Madidir Ure",
        body="Anak-anak SD dan SMP di Madidir Ure banyak yang tertinggal pelajaran dan tidak punya "
             "tempat belajar yang tenang di rumah. Karang taruna mengusulkan rumah belajar sore tiga "
             "kali seminggu di balai kelurahan, dengan mahasiswa dan pemuda sebagai pendamping "
             "belajar.",
        tags=["pendidikan", "anak", "relawan"],
        location="Kelurahan Madidir Ure, Kecamatan Madidir", budget=16_000_000,
        comments=[
            C(DISDIK, "03-25 10:00", "Johny Supit",
              "Dinas Pendidikan bisa meminjamkan buku bacaan dan alat peraga dari perpustakaan keliling."),
            C(YPA, "03-26 09:40", "Henny Kansil",
              "Relawan sebaiknya dibekali pelatihan singkat mendampingi anak yang kesulitan membaca."),
            C(KARTA, "03-26 20:15", "Rivaldo Runtuwene",
              "Setuju, sudah ada 15 relawan yang mendaftar.", reply=1),
        ],
        endorsements=[
            E(KARTA, "03-24 07:00", KARTA),
            E(DISDIK, "03-25 10:05", DISDIK),
        ],
        statuses=[
            S(DISDIK, "06-19 10:05", "accepted", "Disetujui; rumah belajar dibuka Agustus 2026."),
            S(DISDIK, "10-05 10:00", "implemented",
              "Rumah belajar berjalan tiga kali seminggu; lebih dari 30 anak hadir setiap pekan."),
        ],
    ),
    dict(
        id="usulan-pendataan-anak-tidak-sekolah", forum=F_SEKOLAH, node=DISDIK, at="04-02 09:00",
        author="Johny Supit",
        title="Pendataan anak tidak sekolah per kelurahan di Kecamatan Madidir",
        body="Belum ada data lengkap anak usia sekolah yang tidak bersekolah atau putus sekolah di "
             "Madidir. Kami mengusulkan pendataan dari rumah ke rumah oleh kader kelurahan dan "
             "karang taruna, dicocokkan dengan Dapodik, agar bantuan tepat sasaran.",
        tags=["pendidikan", "data", "anak-tidak-sekolah"],
        location="Kecamatan Madidir", budget=10_000_000,
        comments=[
            C(KARTA, "04-03 19:45", "Rivaldo Runtuwene",
              "Karang taruna siap membantu pendataan di Madidir Ure dan Madidir Unet."),
            C(BAPPEDA, "04-06 10:00", "Ronald Tambuwun",
              "Data ini juga penting untuk perencanaan; mohon hasilnya dibagikan per kelurahan."),
        ],
        endorsements=[
            E(KARTA, "04-03 19:50", KARTA),
            E(BAPPEDA, "04-06 10:05", BAPPEDA),
        ],
        statuses=[
            S(DISDIK, "06-19 10:10", "accepted", "Disetujui; pendataan Juli–Agustus 2026."),
            S(DISDIK, "09-15 14:00", "implemented",
              "Pendataan selesai: 187 anak tidak sekolah tercatat; data dipakai untuk Kejar Paket C "
              "dan bantuan transport."),
        ],
    ),
    dict(
        id="usulan-kejar-paket-c-remaja", forum=F_SEKOLAH, node=YPA, at="04-20 10:00",
        author="Yulius Sondakh",
        title="Kejar Paket C untuk remaja putus sekolah",
        body="Remaja yang putus sekolah karena bekerja membantu orang tua tetap bisa memperoleh "
             "ijazah setara SMA lewat Kejar Paket C. Kami mengusulkan kelompok belajar Paket C untuk "
             "30 remaja dengan jadwal malam hari, bekerja sama dengan PKBM.",
        tags=["pendidikan", "kesetaraan", "remaja"],
        location="Kecamatan Madidir", budget=35_000_000,
        comments=[
            C(DISDIK, "04-22 09:30", "Johny Supit",
              "PKBM yang terdaftar di Dapodik bisa menerbitkan ijazah Paket C. Kami bantu hubungkan."),
            C(KARTA, "04-24 20:00", "Anastasia Rawung",
              "Beberapa teman kami yang bekerja di pabrik pengolahan ikan ingin ikut kalau "
              "jadwalnya malam."),
        ],
        endorsements=[
            E(DISDIK, "04-22 09:35", DISDIK),
            E(KARTA, "04-24 20:05", KARTA),
        ],
        statuses=[
            S(DISDIK, "06-01 09:05", "under_review", "Dibahas pada musyawarah forum 18 Juni 2026."),
            S(DISDIK, "06-19 10:15", "accepted",
              "Disetujui; kelompok belajar dimulai Januari 2027 setelah pendataan anak tidak "
              "sekolah selesai."),
        ],
    ),
    dict(
        id="usulan-seragam-sekolah-gratis-madidir", forum=F_SEKOLAH, node=KARTA, at="05-05 19:30",
        author="Rivaldo Runtuwene",
        title="Seragam dan sepatu sekolah gratis untuk anak prasejahtera",
        body="Biaya seragam dan sepatu di awal tahun ajaran membuat sebagian orang tua menunda "
             "anaknya masuk SMP. Kami mengusulkan bantuan seragam dan sepatu untuk 100 anak "
             "prasejahtera di Madidir.",
        tags=["pendidikan", "seragam", "bantuan"],
        location="Kecamatan Madidir", budget=45_000_000,
        comments=[
            C(DISDIK, "05-07 10:00", "Johny Supit",
              "Pemkot sudah menganggarkan seragam sekolah gratis tahun ajaran 2026/2027 untuk siswa "
              "SD dan SMP. Mungkin usulan ini sudah tercakup?"),
            C(KARTA, "05-08 19:00", "Rivaldo Runtuwene",
              "Kalau begitu kami akan membantu memastikan anak-anak prasejahtera di Madidir terdata "
              "di program itu.", reply=0),
        ],
        endorsements=[
            E(KARTA, "05-06 07:30", KARTA),
        ],
        statuses=[
            S(KARTA, "06-15 19:00", "withdrawn",
              "Ditarik oleh pengusul: sudah tercakup program seragam sekolah gratis Pemkot "
              "tahun ajaran 2026/2027."),
        ],
    ),
    dict(
        id="usulan-kelas-orang-tua-tetap-sekolah", forum=F_SEKOLAH, node=YPA, at="05-27 09:00",
        author="Henny Kansil",
        title="Kelas orang tua: anak tetap sekolah sampai tamat SMA",
        body="Banyak orang tua menganggap anak cukup tamat SMP lalu bekerja atau membantu melaut. "
             "Kami mengusulkan kelas orang tua di tiap kelurahan tentang manfaat sekolah lebih lama, "
             "beasiswa yang tersedia, dan cara mendampingi anak belajar, dengan narasumber guru dan "
             "alumni yang berhasil.",
        tags=["pendidikan", "orang-tua", "parenting"],
        location="Kecamatan Madidir", budget=7_500_000,
        comments=[
            C(PKK, "05-29 19:30", "Jeane Wowor",
              "Kelas bisa digabung dengan pertemuan PKK bulanan supaya lebih banyak ibu yang hadir."),
            C(DISDIK, "06-01 10:00", "Johny Supit",
              "Kami usulkan juga mengundang para bapak; keputusan anak lanjut sekolah sering "
              "diambil ayah."),
            C(YPA, "06-01 15:00", "Henny Kansil",
              "Betul, kelas untuk bapak dijadwalkan malam hari setelah pulang melaut atau bekerja.",
              reply=1),
        ],
        endorsements=[
            E(KARTA, "05-30 19:00", KARTA),
            E(DISDIK, "06-01 10:05", DISDIK),
        ],
        statuses=[
            S(DISDIK, "06-01 09:10", "under_review", "Dibahas pada musyawarah forum 18 Juni 2026."),
            S(DISDIK, "06-19 10:20", "accepted",
              "Disetujui; empat kelas orang tua di Madidir Agustus–Oktober 2026."),
        ],
    ),
    dict(
        id="usulan-perahu-antar-jemput-siswa-lembeh", forum=F_SEKOLAH, node=KN, at="08-12 08:00",
        author="Hasan Tatuhe",
        title="Perahu antar-jemput siswa Pulau Lembeh ke sekolah di daratan",
        body="Siswa SMA dan SMK dari Pulau Lembeh menyeberang setiap hari dengan perahu motor umum "
             "yang jadwalnya tidak menentu dan ongkosnya mahal. Kami mengusulkan perahu antar-jemput "
             "siswa pagi dan siang dengan jadwal tetap dan pelampung keselamatan.",
        tags=["pendidikan", "transportasi", "anak-nelayan", "keselamatan"],
        location="Pulau Lembeh", budget=210_000_000,
        comments=[
            C(DISDIK, "08-14 09:30", "Johny Supit",
              "Usulan ini berkaitan dengan angkutan laut; kami koordinasikan dengan Dinas Perhubungan."),
            C(YPA, "08-15 10:00", "Yulius Sondakh",
              "Data kami: sekitar 60 siswa Lembeh menyeberang setiap hari. Beberapa berhenti sekolah "
              "saat musim ombak."),
            C(BAPPEDA, "09-07 10:00", "Ronald Tambuwun",
              "Bappeda sedang menghitung biaya operasional tahunan: awak perahu, bahan bakar dan "
              "perawatan."),
        ],
        endorsements=[
            E(KN, "08-12 08:10", KN),
            E(KN, "08-13 17:45", "Marthen Pontoh"),
        ],
        statuses=[
            S(BAPPEDA, "09-07 10:05", "under_review",
              "Sedang dikaji biaya operasional dan kewenangannya bersama Dinas Perhubungan."),
        ],
    ),
]

PROPOSAL_IDS = {"menjahit": "usulan-pelatihan-menjahit-bitung-tengah",
                "tata_boga": "usulan-pelatihan-tata-boga-pakadoodan",
                "pirt": "usulan-pendampingan-pirt-halal",
                "mesin_jahit": "usulan-mesin-jahit-pinjam-pakai",
                "galeri": "usulan-galeri-produk-umkm-maesa",
                "daring": "usulan-pemasaran-daring-umkm-perempuan",
                "modal_tani": "usulan-modal-kelompok-tani-batuputih",
                "pembukuan": "usulan-pelatihan-pembukuan-kelompok-tani",
                "cool_box": "usulan-cool-box-nelayan-papusungan",
                "fufu": "usulan-pengolahan-cakalang-fufu",
                "pasar_tani": "usulan-pasar-tani-mingguan",
                "hotel": "usulan-kemitraan-pemasok-hotel-restoran",
                "alat_tangkap": "usulan-alat-tangkap-ramah-lingkungan",
                "asuransi": "usulan-asuransi-nelayan-lembeh",
                "mpasi": "usulan-kelas-mpasi-posyandu-bitung-tengah",
                "pmt": "usulan-pmt-ikan-lokal-balita",
                "kader": "usulan-penyegaran-kader-posyandu",
                "antropometri": "usulan-alat-antropometri-posyandu",
                "transport": "usulan-bantuan-transport-anak-nelayan",
                "rumah_belajar": "usulan-rumah-belajar-madidir-ure",
                "pendataan": "usulan-pendataan-anak-tidak-sekolah",
                "paket_c": "usulan-kejar-paket-c-remaja",
                "kelas_ortu": "usulan-kelas-orang-tua-tetap-sekolah"}
PID = PROPOSAL_IDS


# ------------------------------------------------------------------ meetings
def A(name: str, node: str | None = None) -> dict[str, str]:
    return {"name": name, "node_id": node} if node else {"name": name}


def D(text: str, proposal: str | None = None) -> dict[str, str]:
    return {"text": text, "proposal_id": PID[proposal]} if proposal else {"text": text}


MEETINGS: list[dict[str, Any]] = [
    dict(
        id="musyawarah-maesa-2026-03", forum=F_EKONOMI, node=DINSOS, at="02-23 10:00",
        title="Musyawarah Forum Pemberdayaan Ekonomi Maesa, Maret 2026",
        starts_at="2026-03-12T09:00:00+08:00", location="Aula Kantor Camat Maesa",
        agenda=["Laporan program pelatihan keterampilan perempuan 2025",
                "Usulan pelatihan menjahit Bitung Tengah",
                "Usulan pelatihan tata boga Pakadoodan",
                "Pembagian tugas dan jadwal"],
        minutes=dict(
            at="03-13 09:30",
            attendees=[A("Hendra Lumenta", DINSOS), A("Ronald Tambuwun", BAPPEDA),
                       A("Novita Pangemanan", DINKOP), A("Lidya Makalew", DINKES),
                       A("Meiske Rumondor", PKK), A("Siti Rahma Daud", PKK),
                       A("Fransiska Tumbelaka", LSM), A("Djemy Lasut")],
            decisions=[
                D("Pelatihan menjahit dilaksanakan dua angkatan (April dan Mei 2026), masing-masing "
                  "25 peserta, di Balai Kelurahan Bitung Tengah.", "menjahit"),
                D("Pelatihan tata boga untuk 20 peserta dilaksanakan Mei–Juni 2026 di dapur LKP "
                  "mitra Dinas Sosial.", "tata_boga"),
                D("Lulusan pelatihan didampingi mengurus NIB dan izin usaha rumahan.", "menjahit"),
                D("Forum bertemu kembali pada September 2026 untuk evaluasi."),
            ],
            summary="Forum menyetujui dua usulan pelatihan keterampilan perempuan untuk 2026 dan "
                    "membagi tugas antara Dinas Sosial, PKK Bitung Tengah dan Dinas Koperasi dan UKM.",
        ),
    ),
    dict(
        id="musyawarah-maesa-2026-09", forum=F_EKONOMI, node=DINSOS, at="09-01 10:00",
        title="Musyawarah Forum Pemberdayaan Ekonomi Maesa, September 2026",
        starts_at="2026-09-17T09:00:00+08:00", location="Aula Kantor Camat Maesa",
        agenda=["Evaluasi pelatihan menjahit dan tata boga",
                "Usulan pendampingan PIRT dan sertifikat halal",
                "Usulan mesin jahit pinjam pakai",
                "Usulan pojok pamer produk UMKM perempuan",
                "Usulan pelatihan pemasaran daring"],
        minutes=dict(
            at="09-18 09:00",
            attendees=[A("Hendra Lumenta", DINSOS), A("Ronald Tambuwun", BAPPEDA),
                       A("Novita Pangemanan", DINKOP), A("Meiske Rumondor", PKK),
                       A("Deisy Sumampouw", PKK), A("Fransiska Tumbelaka", LSM),
                       A("Olvie Kalalo", LSM), A("Djemy Lasut")],
            decisions=[
                D("Pendampingan PIRT dan sertifikat halal untuk 15 usaha makanan rumahan oleh LSM "
                  "Mitra Usaha Pesisir, selesai Desember 2026.", "pirt"),
                D("Disetujui 15 mesin jahit pinjam pakai, dianggarkan pada APBD Perubahan 2026.",
                  "mesin_jahit"),
                D("Usulan pojok pamer dibahas ulang setelah ada kesepakatan lokasi dengan Kantor "
                  "Camat Maesa.", "galeri"),
                D("Pelatihan pemasaran daring untuk 30 peserta pada November 2026.", "daring"),
                D("PKK menyampaikan laporan perkembangan usaha lulusan paling lambat akhir Oktober.",
                  "menjahit"),
            ],
            summary="Evaluasi: 46 perempuan lulus pelatihan menjahit dan 20 lulus tata boga; lebih "
                    "dari 20 usaha rumahan sudah berjalan. Forum menyetujui tiga usulan lanjutan "
                    "dan mengembalikan satu usulan untuk dilengkapi.",
        ),
    ),
    dict(
        id="musyawarah-maesa-2026-12", forum=F_EKONOMI, node=DINSOS, at="11-12 10:00",
        title="Musyawarah Forum Pemberdayaan Ekonomi Maesa, Desember 2026",
        starts_at="2026-12-10T09:00:00+08:00", location="Aula Kantor Camat Maesa",
        agenda=["Laporan pendampingan PIRT dan sertifikat halal",
                "Penyaluran mesin jahit pinjam pakai",
                "Usulan koperasi simpan pinjam perempuan",
                "Usulan pojok bermain anak selama pelatihan",
                "Rencana program 2027"],
        minutes=None,
    ),
    dict(
        id="rapat-tani-nelayan-2026-04", forum=F_TANI, node=DINKOP, at="04-06 08:00",
        title="Rapat Forum Kelompok Tani dan Nelayan, April 2026",
        starts_at="2026-04-22T09:30:00+08:00", location="Aula Kantor Camat Ranowulu",
        agenda=["Usulan modal Kelompok Tani Maju Bersama",
                "Usulan pelatihan pembukuan dan pemasaran",
                "Usulan cool box nelayan Papusungan",
                "Usulan pengolahan cakalang fufu"],
        minutes=dict(
            at="04-23 09:00",
            attendees=[A("Arnold Tulung", DINKOP), A("Novita Pangemanan", DINKOP),
                       A("Victor Lengkong", DKP), A("Ronald Tambuwun", BAPPEDA),
                       A("Yohanis Mandagi", KT), A("Roy Kaunang", KT), A("Hasan Tatuhe", KN),
                       A("Nurhayati Tatuhe", KN), A("Fransiska Tumbelaka", LSM)],
            decisions=[
                D("Dana bergulir Rp75 juta untuk bibit cabai dan pupuk Kelompok Tani Maju Bersama, "
                  "disalurkan Mei 2026.", "modal_tani"),
                D("Dinas Koperasi dan UKM menjajaki pembeli tetap cabai dan tomat di Manado.",
                  "modal_tani"),
                D("Pelatihan pembukuan dan pemasaran untuk 4 kelompok tani dan 2 kelompok nelayan "
                  "pada Juni 2026.", "pembukuan"),
                D("Dinas Perikanan mengadakan 30 cool box dan kerja sama pasokan es balok.", "cool_box"),
                D("Usulan cakalang fufu ditunda sampai anggaran tersedia; Dinas Perikanan menilai "
                  "kondisi rumah pengasapan.", "fufu"),
            ],
            summary="Tiga usulan disetujui untuk musim tanam dan musim ikan 2026; usulan cakalang "
                    "fufu menunggu anggaran perubahan.",
        ),
    ),
    dict(
        id="rapat-tani-nelayan-2026-08", forum=F_TANI, node=DKP, at="08-03 08:30",
        title="Rapat Forum Kelompok Tani dan Nelayan, Agustus 2026",
        starts_at="2026-08-20T09:30:00+08:00", location="Aula Dinas Perikanan Kota Bitung",
        agenda=["Laporan dana bergulir dan panen kelompok tani",
                "Laporan cool box nelayan Papusungan",
                "Usulan pengolahan cakalang fufu",
                "Usulan pasar tani mingguan",
                "Usulan kemitraan pasokan ke hotel, restoran dan katering",
                "Usulan asuransi nelayan dan kartu KUSUKA",
                "Usulan alat tangkap ramah lingkungan"],
        minutes=dict(
            at="08-21 09:00",
            attendees=[A("Victor Lengkong", DKP), A("Arnold Tulung", DINKOP),
                       A("Novita Pangemanan", DINKOP), A("Ronald Tambuwun", BAPPEDA),
                       A("Yohanis Mandagi", KT), A("Roy Kaunang", KT), A("Hasan Tatuhe", KN),
                       A("Marthen Pontoh", KN), A("Nurhayati Tatuhe", KN),
                       A("Fransiska Tumbelaka", LSM), A("Olvie Kalalo", LSM)],
            decisions=[
                D("Dana bergulir Kelompok Tani Maju Bersama dinyatakan terlaksana; panen pertama "
                  "6,2 ton.", "modal_tani"),
                D("Penyerahan 30 cool box dinyatakan selesai.", "cool_box"),
                D("Usulan cakalang fufu disetujui; renovasi rumah pengasapan didahulukan sebelum "
                  "pelatihan.", "fufu"),
                D("Usulan pasar tani mingguan tidak dilanjutkan karena tidak ada lahan yang memenuhi "
                  "syarat; sebagai gantinya diuji coba penjualan lewat aplikasi pasar daring.",
                  "pasar_tani"),
                D("Dinas Koperasi dan UKM menyusun MoU pasokan dengan hotel, restoran dan katering.",
                  "hotel"),
                D("Layanan jemput bola asuransi nelayan dan kartu KUSUKA untuk 150 nelayan Lembeh.",
                  "asuransi"),
                D("Usulan alat tangkap menunggu keputusan bantuan provinsi; data penerima "
                  "diverifikasi lebih dulu.", "alat_tangkap"),
            ],
            summary="Forum menilai dana bergulir dan cool box berhasil, menyetujui tiga usulan baru, "
                    "menolak pasar tani mingguan dan menunda usulan alat tangkap.",
        ),
    ),
    dict(
        id="rembuk-gizi-2026-03", forum=F_GIZI, node=DINKES, at="03-09 08:30",
        title="Rembuk Forum Kesehatan dan Gizi Masyarakat, Maret 2026",
        starts_at="2026-03-26T09:00:00+08:00", location="Ruang Rapat Dinas Kesehatan Kota Bitung",
        agenda=["Data balita stunting per kelurahan akhir 2025",
                "Usulan kelas MP-ASI Posyandu Melati",
                "Usulan PMT berbahan ikan lokal",
                "Usulan penyegaran kader posyandu",
                "Usulan alat antropometri"],
        minutes=dict(
            at="03-27 09:00",
            attendees=[A("Lidya Makalew", DINKES), A("Stella Mangindaan", DINKES),
                       A("Christy Warouw", YPA), A("Henny Kansil", YPA), A("Grace Palar", PKK),
                       A("Meiske Rumondor", PKK), A("Ronald Tambuwun", BAPPEDA),
                       A("Victor Lengkong", DKP), A("Nurhayati Tatuhe", KN)],
            decisions=[
                D("Enam kelas masak MP-ASI di Posyandu Melati, April–Juli 2026.", "mpasi"),
                D("PMT lokal berbahan ikan untuk 120 balita gizi kurang dalam dua tahap mulai Juni "
                  "2026.", "pmt"),
                D("Pelatihan penyegaran untuk 120 kader posyandu dalam empat gelombang.", "kader"),
                D("Dinas Kesehatan mengadakan 20 set alat antropometri untuk posyandu prioritas.",
                  "antropometri"),
                D("Dinas Kesehatan memutakhirkan data balita stunting per kelurahan sebelum akhir "
                  "April."),
                D("Yayasan Pelita Anak Bitung mendampingi kunjungan rumah keluarga berisiko stunting "
                  "bersama Tim Pendamping Keluarga."),
            ],
            summary="Prevalensi stunting akhir 2025 sebesar 17,2 persen. Forum menyetujui empat "
                    "usulan dan dua tugas pendataan serta pendampingan keluarga.",
        ),
    ),
    dict(
        id="rembuk-gizi-2026-11", forum=F_GIZI, node=DINKES, at="11-03 09:00",
        title="Rembuk Forum Kesehatan dan Gizi Masyarakat, November 2026",
        starts_at="2026-11-19T09:00:00+08:00", location="Ruang Rapat Dinas Kesehatan Kota Bitung",
        agenda=["Evaluasi PMT lokal berbahan ikan",
                "Pengadaan alat antropometri yang tertunda",
                "Usulan kebun gizi pekarangan",
                "Usulan edukasi anemia remaja putri",
                "Data stunting triwulan III 2026"],
        minutes=None,
    ),
    dict(
        id="musyawarah-pendidikan-madidir-2026-06", forum=F_SEKOLAH, node=DISDIK, at="06-01 08:30",
        title="Musyawarah Forum Peduli Pendidikan Anak Madidir, Juni 2026",
        starts_at="2026-06-18T13:30:00+08:00", location="Aula Kantor Kelurahan Madidir Ure",
        agenda=["Gambaran anak tidak sekolah di Madidir",
                "Usulan bantuan transport anak nelayan",
                "Usulan rumah belajar sore",
                "Usulan pendataan anak tidak sekolah",
                "Usulan Kejar Paket C",
                "Usulan kelas orang tua"],
        minutes=dict(
            at="06-19 09:00",
            attendees=[A("Johny Supit", DISDIK), A("Hendra Lumenta", DINSOS),
                       A("Ronald Tambuwun", BAPPEDA), A("Yulius Sondakh", YPA),
                       A("Henny Kansil", YPA), A("Rivaldo Runtuwene", KARTA),
                       A("Anastasia Rawung", KARTA), A("Hasan Tatuhe", KN),
                       A("Frans Walangitan")],
            decisions=[
                D("Bantuan transport bersyarat kehadiran untuk 70 siswa anak nelayan, semester "
                  "ganjil 2026/2027.", "transport"),
                D("Rumah belajar sore dibuka di Balai Kelurahan Madidir Ure pada Agustus 2026.",
                  "rumah_belajar"),
                D("Pendataan anak tidak sekolah dari rumah ke rumah, Juli–Agustus 2026.", "pendataan"),
                D("Kelompok belajar Paket C untuk 30 remaja dimulai Januari 2027.", "paket_c"),
                D("Empat kelas orang tua di Madidir, Agustus–Oktober 2026.", "kelas_ortu"),
                D("Karang taruna menyiarkan sosialisasi wajib belajar lewat radio komunitas."),
            ],
            summary="Forum menyetujui lima usulan untuk menjaga anak tetap bersekolah, dengan "
                    "pendataan anak tidak sekolah sebagai dasar sasaran bantuan.",
        ),
    ),
]


# -------------------------------------------------------------- action items
def PR(node: str, when: str, percent: int, note: str | None = None,
       evidence: str | None = None) -> dict[str, Any]:
    return {"kind": "progress", "node": node, "at": when, "percent": percent, "note": note,
            "evidence": evidence}


def ST(node: str, when: str, status: str, reason: str | None = None) -> dict[str, Any]:
    return {"kind": "status", "node": node, "at": when, "status": status, "reason": reason}


def RA(node: str, when: str, owner: str, reason: str | None = None) -> dict[str, Any]:
    return {"kind": "reassign", "node": node, "at": when, "owner": owner, "reason": reason}


M_MAESA_03 = "musyawarah-maesa-2026-03"
M_MAESA_09 = "musyawarah-maesa-2026-09"
M_TANI_04 = "rapat-tani-nelayan-2026-04"
M_TANI_08 = "rapat-tani-nelayan-2026-08"
M_GIZI_03 = "rembuk-gizi-2026-03"
M_SEKOLAH_06 = "musyawarah-pendidikan-madidir-2026-06"

ACTION_ITEMS: list[dict[str, Any]] = [
    # ---- musyawarah Maesa, Maret
    dict(id="rtl-instruktur-mesin-jahit-angkatan-1", node=DINSOS, at="03-13 10:30",
         meeting=M_MAESA_03, proposal="menjahit", owner=DINSOS, due="2026-04-06",
         title="Menyediakan instruktur dan 10 mesin jahit untuk pelatihan menjahit",
         description="Instruktur dari LKP mitra dan 10 mesin jahit pinjam pakai siap di Balai "
                     "Kelurahan Bitung Tengah sebelum angkatan pertama dimulai.",
         log=[PR(DINSOS, "03-27 11:00", 50, "Instruktur sudah dikontrak; 5 mesin jahit tiba."),
              PR(DINSOS, "04-03 15:00", 100, "Semua mesin jahit terpasang di balai kelurahan.",
                 "mesin-jahit-terpasang.jpg"),
              ST(DINSOS, "04-03 15:05", "done")]),
    dict(id="rtl-data-peserta-pelatihan-menjahit", node=DINSOS, at="03-13 10:35",
         meeting=M_MAESA_03, proposal="menjahit", owner=PKK, due="2026-03-27",
         title="Mengumpulkan dan memverifikasi data 50 calon peserta pelatihan menjahit",
         description="Kader PKK mendata calon peserta dari keluarga prasejahtera untuk dua angkatan.",
         log=[PR(PKK, "03-20 18:00", 60, "31 calon peserta sudah diverifikasi kader."),
              ST(PKK, "03-26 19:30", "done", "Data 50 peserta dua angkatan diserahkan ke Dinas Sosial.")]),
    dict(id="rtl-dapur-pelatihan-tata-boga", node=DINSOS, at="03-13 10:40",
         meeting=M_MAESA_03, proposal="tata_boga", owner=DINSOS, due="2026-05-08",
         title="Menyiapkan dapur LKP mitra dan bahan praktik pelatihan tata boga",
         description=None,
         log=[PR(DINSOS, "04-24 10:00", 40, "Jadwal pemakaian dapur LKP sudah disepakati."),
              PR(DINSOS, "05-06 14:00", 100, "Bahan praktik minggu pertama sudah dibeli."),
              ST(DINSOS, "05-06 14:05", "done")]),
    dict(id="rtl-pendampingan-nib-lulusan-menjahit", node=DINSOS, at="03-13 10:45",
         meeting=M_MAESA_03, proposal="menjahit", owner=DINSOS, due="2026-07-31",
         title="Mendampingi lulusan pelatihan menjahit mengurus NIB dan izin usaha rumahan",
         description="Pendampingan pendaftaran NIB lewat OSS dan izin usaha rumahan bagi semua "
                     "lulusan yang memenuhi syarat.",
         log=[RA(DINSOS, "05-20 09:00", DINKOP,
                 "Pendampingan NIB dan izin usaha mikro adalah tugas Dinas Koperasi dan UKM."),
              PR(DINKOP, "06-26 15:00", 40, "18 lulusan sudah memiliki NIB."),
              PR(DINKOP, "07-29 15:30", 90,
                 "41 lulusan sudah memiliki NIB; sisanya belum ber-KTP Kota Bitung."),
              ST(DINKOP, "08-05 10:00", "done", "Semua lulusan yang memenuhi syarat sudah memiliki NIB.")]),
    # ---- rembuk gizi, Maret
    dict(id="rtl-kelas-mpasi-posyandu-melati", node=DINKES, at="03-27 10:30",
         meeting=M_GIZI_03, proposal="mpasi", owner=PKK, due="2026-07-31",
         title="Menyelenggarakan enam kelas masak MP-ASI di Posyandu Melati Bitung Tengah",
         description="Satu kelas setiap bulan bersama tenaga gizi puskesmas, dengan bahan lokal.",
         log=[PR(PKK, "05-15 16:00", 33, "Dua kelas selesai, diikuti 29 ibu balita."),
              PR(PKK, "06-19 16:00", 67, "Empat kelas selesai."),
              PR(PKK, "07-24 16:30", 100, "Enam kelas selesai; resep dibagikan ke posyandu lain.",
                 "daftar-hadir-kelas-mpasi.pdf"),
              ST(PKK, "07-24 16:35", "done")]),
    dict(id="rtl-pmt-ikan-lokal-balita", node=DINKES, at="03-27 10:35",
         meeting=M_GIZI_03, proposal="pmt", owner=YPA, due="2026-12-18",
         title="Menyalurkan PMT lokal berbahan ikan untuk 120 balita gizi kurang",
         description="Dua tahap pemberian makanan tambahan lokal di 12 posyandu Girian dan Madidir, "
                     "dengan penimbangan setiap bulan.",
         log=[ST(YPA, "06-01 09:00", "in_progress", "PMT tahap pertama dimulai di 12 posyandu."),
              PR(YPA, "06-30 17:00", 25, "Hari ke-30 tahap pertama; pasokan ikan dari kelompok nelayan lancar."),
              PR(YPA, "08-31 17:00", 50,
                 "Tahap pertama selesai; 31 balita naik ke status gizi baik. Penyaluran sempat "
                 "tertunda seminggu karena cuaca buruk."),
              PR(YPA, "10-30 17:00", 75, "Tahap kedua berjalan di 12 posyandu.",
                 "rekap-penimbangan-oktober.pdf")]),
    dict(id="rtl-penyegaran-kader-posyandu", node=DINKES, at="03-27 10:40",
         meeting=M_GIZI_03, proposal="kader", owner=DINKES, due="2026-06-15",
         title="Melatih 120 kader posyandu dalam empat gelombang",
         description=None,
         log=[PR(DINKES, "05-13 15:00", 50, "Dua gelombang selesai, 61 kader."),
              PR(DINKES, "06-12 13:30", 100, "118 kader dari 60 posyandu sudah terlatih."),
              ST(DINKES, "06-12 13:35", "done")]),
    dict(id="rtl-pengadaan-alat-antropometri", node=DINKES, at="03-27 10:45",
         meeting=M_GIZI_03, proposal="antropometri", owner=DINKES, due="2026-09-30",
         title="Pengadaan 20 set alat antropometri untuk posyandu prioritas",
         description="Timbangan digital, alat ukur panjang badan dan pengukur tinggi badan untuk 20 "
                     "posyandu dengan kasus stunting tertinggi.",
         log=[PR(DINKES, "06-10 10:00", 20, "Spesifikasi dan daftar posyandu prioritas selesai."),
              ST(DINKES, "08-14 10:00", "blocked",
                 "Produk belum tersedia di e-katalog; anggaran digeser ke APBD Perubahan 2026.")]),
    dict(id="rtl-data-stunting-per-kelurahan", node=DINKES, at="03-27 10:50",
         meeting=M_GIZI_03, proposal=None, owner=DINKES, due="2026-04-30",
         title="Memutakhirkan data balita stunting per kelurahan di e-PPGBM",
         description=None,
         log=[PR(DINKES, "04-17 15:00", 70, "Data 48 kelurahan sudah dimutakhirkan."),
              ST(DINKES, "04-28 15:00", "done", "Data semua kelurahan sudah dimutakhirkan.")]),
    dict(id="rtl-kunjungan-keluarga-berisiko-stunting", node=DINKES, at="03-27 10:55",
         meeting=M_GIZI_03, proposal=None, owner=YPA, due="2026-11-30",
         title="Kunjungan rumah keluarga berisiko stunting bersama Tim Pendamping Keluarga",
         description="Kunjungan rumah ke keluarga dengan balita gizi kurang di Girian dan Madidir.",
         log=[PR(YPA, "09-30 16:00", 0,
                 "Jadwal kunjungan sudah disusun; menunggu data keluarga berisiko dari TPK.")]),
    # ---- rapat tani dan nelayan, April
    dict(id="rtl-salur-dana-bergulir-kt-maju-bersama", node=DINKOP, at="04-23 10:30",
         meeting=M_TANI_04, proposal="modal_tani", owner=DINKOP, due="2026-05-29",
         title="Menyalurkan dana bergulir bibit dan pupuk ke Kelompok Tani Maju Bersama",
         description=None,
         log=[PR(DINKOP, "05-12 11:00", 50, "Perjanjian dana bergulir sudah ditandatangani."),
              PR(DINKOP, "05-27 14:00", 100, "Bibit dan pupuk sudah diterima kelompok.",
                 "berita-acara-serah-terima.pdf"),
              ST(DINKOP, "05-27 14:05", "done")]),
    dict(id="rtl-pelatihan-pembukuan-kelompok", node=DINKOP, at="04-23 10:35",
         meeting=M_TANI_04, proposal="pembukuan", owner=LSM, due="2026-07-10",
         title="Pelatihan pembukuan dan pemasaran untuk 4 kelompok tani dan 2 kelompok nelayan",
         description=None,
         log=[PR(LSM, "06-12 17:00", 50,
                 "Pelatihan kelompok tani selesai; kelompok nelayan dijadwalkan saat bulan terang."),
              ST(LSM, "07-09 17:00", "done", "Enam kelompok (71 anggota) selesai pelatihan.")]),
    dict(id="rtl-pengadaan-cool-box-nelayan", node=DINKOP, at="04-23 10:40",
         meeting=M_TANI_04, proposal="cool_box", owner=DKP, due="2026-07-31",
         title="Pengadaan 30 cool box dan kerja sama pasokan es balok",
         description=None,
         log=[PR(DKP, "06-05 10:00", 40, "Kontrak pengadaan sudah ditandatangani."),
              PR(DKP, "07-28 11:00", 100, "30 cool box diserahkan kepada anggota kelompok.",
                 "penyerahan-cool-box.jpg"),
              ST(DKP, "07-28 11:05", "done", "Kerja sama es balok dengan pabrik es setempat berjalan.")]),
    dict(id="rtl-buku-kas-kelompok-tani", node=DINKOP, at="04-23 10:45",
         meeting=M_TANI_04, proposal="pembukuan", owner=KT, due="2026-10-30",
         title="Menerapkan buku kas dan laporan penjualan bulanan di Kelompok Tani Maju Bersama",
         description="Buku kas kelompok dan laporan penjualan bulanan disampaikan ke rapat anggota.",
         log=[PR(KT, "07-31 19:00", 30, "Buku kas mulai diisi sejak Juli."),
              PR(KT, "09-30 19:00", 60, "Laporan Juli dan Agustus selesai; September belum.")]),
    dict(id="rtl-penjajakan-pembeli-manado", node=DINKOP, at="04-23 10:50",
         meeting=M_TANI_04, proposal="modal_tani", owner=DINKOP, due="2026-06-30",
         title="Menjajaki pembeli tetap cabai dan tomat di Manado",
         description=None,
         log=[PR(DINKOP, "05-29 15:00", 50, "Dua pemasok sayur di Manado tertarik."),
              ST(DINKOP, "06-26 15:00", "done",
                 "Tiga pembeli bersedia membeli rutin; dilanjutkan dengan usulan kemitraan pasokan.")]),
    # ---- rapat tani dan nelayan, Agustus
    dict(id="rtl-pelatihan-cakalang-fufu", node=DKP, at="08-21 10:30",
         meeting=M_TANI_08, proposal="fufu", owner=DKP, due="2026-10-23",
         title="Pelatihan pengolahan cakalang fufu higienis untuk 20 istri nelayan",
         description="Dua gelombang pelatihan di rumah pengasapan kelompok setelah direnovasi.",
         log=[PR(DKP, "09-18 10:00", 20, "Materi dan instruktur sudah siap."),
              ST(DKP, "10-02 10:00", "blocked", "Menunggu renovasi rumah pengasapan selesai."),
              ST(DKP, "10-27 09:00", "in_progress", "Renovasi selesai; gelombang pertama dimulai."),
              PR(DKP, "11-06 15:00", 60, "Gelombang pertama (10 peserta) selesai.")]),
    dict(id="rtl-renovasi-rumah-pengasapan", node=DKP, at="08-21 10:35",
         meeting=M_TANI_08, proposal="fufu", owner=KN, due="2026-10-16",
         title="Renovasi rumah pengasapan ikan kelompok",
         description="Lantai semen, dinding berventilasi dan rak pengasapan baru sesuai standar sanitasi.",
         log=[PR(KN, "09-15 17:00", 50, "Lantai semen selesai dicor."),
              PR(KN, "10-26 17:00", 100, "Renovasi selesai dan diperiksa petugas Dinas Perikanan.",
                 "rumah-pengasapan-selesai.jpg"),
              ST(KN, "10-26 17:05", "done")]),
    dict(id="rtl-mou-pemasok-hotel-restoran", node=DKP, at="08-21 10:40",
         meeting=M_TANI_08, proposal="hotel", owner=DINKOP, due="2026-11-27",
         title="Menyusun MoU pasokan sayur dengan hotel, restoran dan katering",
         description=None,
         log=[PR(DINKOP, "10-15 14:00", 40, "Dua hotel dan satu katering menyetujui draf MoU.")]),
    dict(id="rtl-pendaftaran-asuransi-nelayan", node=DKP, at="08-21 10:45",
         meeting=M_TANI_08, proposal="asuransi", owner=DKP, due="2026-11-06",
         title="Mendaftarkan 150 nelayan Lembeh ke asuransi nelayan dan kartu KUSUKA",
         description="Layanan jemput bola di kelurahan pesisir Pulau Lembeh.",
         log=[PR(DKP, "09-25 15:00", 35, "53 nelayan terdaftar di Papusungan dan Pintukota."),
              PR(DKP, "10-30 15:00", 55,
                 "83 dari 150 nelayan terdaftar; sebagian belum memiliki KTP elektronik.")]),
    dict(id="rtl-uji-coba-pasar-daring", node=DKP, at="08-21 10:50",
         meeting=M_TANI_08, proposal="pasar_tani", owner=DINKOP, due="2026-12-15",
         title="Uji coba penjualan hasil panen lewat aplikasi pasar daring",
         description=None,
         log=[ST(DINKOP, "10-20 09:00", "cancelled",
                 "Aplikasi pasar daring tidak jadi dikembangkan; penjualan dialihkan ke kemitraan "
                 "dengan hotel, restoran dan katering.")]),
    dict(id="rtl-verifikasi-penerima-alat-tangkap", node=DKP, at="08-21 10:55",
         meeting=M_TANI_08, proposal="alat_tangkap", owner=KN, due="2026-10-09",
         title="Verifikasi data 40 nelayan calon penerima alat tangkap",
         description=None,
         log=[RA(DKP, "10-01 09:00", DKP,
                 "Verifikasi memerlukan data KUSUKA yang dipegang Dinas Perikanan.")]),
    # ---- musyawarah Maesa, September
    dict(id="rtl-pendampingan-pirt-halal", node=DINSOS, at="09-18 10:30",
         meeting=M_MAESA_09, proposal="pirt", owner=LSM, due="2026-12-18",
         title="Pendampingan PIRT dan sertifikat halal untuk 15 usaha makanan rumahan",
         description=None,
         log=[PR(LSM, "10-16 16:00", 20,
                 "Penyuluhan keamanan pangan bersama Dinas Kesehatan selesai untuk 15 usaha.")]),
    dict(id="rtl-mesin-jahit-pinjam-pakai", node=DINSOS, at="09-18 10:35",
         meeting=M_MAESA_09, proposal="mesin_jahit", owner=DINSOS, due="2026-11-13",
         title="Menyalurkan 15 mesin jahit pinjam pakai kepada lulusan pelatihan",
         description=None,
         log=[ST(DINSOS, "10-22 10:00", "blocked",
                 "APBD Perubahan 2026 belum disahkan; pengadaan mesin jahit belum bisa dimulai.")]),
    dict(id="rtl-kesepakatan-lokasi-pojok-pamer", node=DINSOS, at="09-18 10:40",
         meeting=M_MAESA_09, proposal="galeri", owner=LSM, due="2026-12-04",
         title="Menyepakati lokasi dan pengelola pojok pamer dengan Kantor Camat Maesa",
         description=None, log=[]),
    dict(id="rtl-pelatihan-pemasaran-daring", node=DINSOS, at="09-18 10:45",
         meeting=M_MAESA_09, proposal="daring", owner=DINKOP, due="2026-11-20",
         title="Pelatihan foto produk dan pemasaran daring untuk 30 peserta",
         description=None,
         log=[PR(DINKOP, "11-10 14:00", 50, "30 peserta terdaftar; materi dan ruang pelatihan siap.")]),
    dict(id="rtl-laporan-usaha-lulusan", node=DINSOS, at="09-18 10:50",
         meeting=M_MAESA_09, proposal="menjahit", owner=PKK, due="2026-10-31",
         title="Laporan perkembangan usaha rumahan lulusan pelatihan menjahit dan tata boga",
         description=None,
         log=[PR(PKK, "10-15 19:00", 50, "Kunjungan ke 12 usaha lulusan selesai."),
              PR(PKK, "10-29 19:00", 100, "Laporan 24 usaha rumahan diserahkan ke Dinas Sosial.",
                 "laporan-usaha-lulusan-2026.pdf"),
              ST(PKK, "10-29 19:05", "done")]),
    # ---- musyawarah pendidikan Madidir, Juni
    dict(id="rtl-pendataan-anak-tidak-sekolah", node=DISDIK, at="06-19 10:30",
         meeting=M_SEKOLAH_06, proposal="pendataan", owner=DISDIK, due="2026-08-31",
         title="Pendataan anak tidak sekolah dari rumah ke rumah di Kecamatan Madidir",
         description="Dibantu kader kelurahan dan karang taruna; hasil dicocokkan dengan Dapodik.",
         log=[PR(DISDIK, "07-24 15:00", 50, "Pendataan selesai di separuh kelurahan."),
              PR(DISDIK, "08-28 15:00", 100, "Pendataan selesai di semua kelurahan."),
              ST(DISDIK, "08-28 15:05", "done", "187 anak tidak sekolah tercatat.")]),
    dict(id="rtl-buka-rumah-belajar-sore", node=DISDIK, at="06-19 10:35",
         meeting=M_SEKOLAH_06, proposal="rumah_belajar", owner=KARTA, due="2026-08-14",
         title="Membuka rumah belajar sore di Balai Kelurahan Madidir Ure",
         description=None,
         log=[PR(KARTA, "07-20 20:00", 50, "Ruang balai kelurahan siap; 15 relawan sudah dilatih."),
              PR(KARTA, "08-10 20:00", 90, "Buku bacaan dari perpustakaan keliling sudah diterima."),
              ST(KARTA, "08-13 20:00", "done", "Rumah belajar dibuka 13 Agustus 2026.")]),
    dict(id="rtl-bantuan-transport-anak-nelayan", node=DISDIK, at="06-19 10:40",
         meeting=M_SEKOLAH_06, proposal="transport", owner=DISDIK, due="2026-09-15",
         title="Menyalurkan bantuan transport semester ganjil kepada 70 siswa anak nelayan",
         description="Bantuan bulanan bersyarat kehadiran minimal 85 persen.",
         log=[RA(DISDIK, "07-08 09:00", DINSOS,
                 "Bantuan bersyarat disalurkan lewat rekening oleh Dinas Sosial."),
              PR(DINSOS, "08-28 14:00", 50, "Kehadiran 70 siswa sudah diverifikasi sekolah."),
              ST(DINSOS, "09-10 10:00", "blocked", "Menunggu validasi rekening penerima oleh bank."),
              ST(DINSOS, "10-12 10:00", "open",
                 "Validasi rekening selesai untuk 58 siswa; penyaluran dijadwalkan ulang.")]),
    dict(id="rtl-kelompok-belajar-paket-c", node=DISDIK, at="06-19 10:45",
         meeting=M_SEKOLAH_06, proposal="paket_c", owner=YPA, due="2027-01-29",
         title="Membuka kelompok belajar Paket C untuk 30 remaja bersama PKBM",
         description=None, log=[]),
    dict(id="rtl-kelas-orang-tua-madidir", node=DISDIK, at="06-19 10:50",
         meeting=M_SEKOLAH_06, proposal="kelas_ortu", owner=YPA, due="2026-10-30",
         title="Menyelenggarakan empat kelas orang tua di Madidir",
         description=None,
         log=[PR(YPA, "08-20 20:30", 25, "Kelas pertama dihadiri 34 orang tua."),
              PR(YPA, "10-09 20:30", 75, "Tiga kelas selesai; satu kelas khusus bapak dijadwalkan."),
              ST(YPA, "10-28 21:00", "done", "Empat kelas selesai, dihadiri 126 orang tua.")]),
    dict(id="rtl-sosialisasi-radio-komunitas", node=DISDIK, at="06-19 10:55",
         meeting=M_SEKOLAH_06, proposal=None, owner=KARTA, due="2026-08-31",
         title="Sosialisasi wajib belajar lewat radio komunitas",
         description=None,
         log=[ST(KARTA, "07-20 20:30", "cancelled",
                 "Radio komunitas berhenti siaran; sosialisasi digabung ke kelas orang tua.")]),
]

# ---------------------------------------------------------------- programs
def _indicator(ident: str, name: str, unit: str, baseline: float, target: float,
               direction: str = "increase", areas: str = "sum") -> dict[str, Any]:
    return {"id": ident, "name": name, "unit": unit, "baseline": baseline, "target": target,
            "direction": direction, "areas": areas}


# (program, lead, partners, defined at, name, summary, starts, ends, indicators); the
# baselines are the programs' 2025 figures, the targets those of the city's plan for 2027
PROGRAMS: list[tuple[str, str, list[str], str, str, str, str, str, list[dict[str, Any]]]] = [
    (P_PEREMPUAN, DINSOS, [PKK, LSM, DINKOP], "01-10 09:00",
     "Pelatihan keterampilan perempuan",
     "Pelatihan menjahit dan tata boga bagi perempuan dari keluarga prasejahtera, "
     "dilanjutkan pendampingan sampai peserta membuka usaha rumahan: perizinan, pembukuan "
     "dan pemasaran bersama LSM Mitra Usaha Pesisir dan Dinas Koperasi.",
     "2026-01-01", "2027-12-31",
     [_indicator("perempuan_dilatih", "Perempuan dilatih per triwulan", "orang", 0, 40),
      _indicator("usaha_rumahan_dibuka", "Usaha rumahan baru per triwulan", "usaha", 6, 15)]),
    (P_TANI, DINKOP, [LSM, DKP, KT, KN], "01-10 10:00",
     "Modal usaha kelompok tani dan nelayan",
     "Dana bergulir, sarana rantai dingin dan kemitraan dengan pembeli di luar kota bagi "
     "kelompok tani dan kelompok nelayan kecil.",
     "2026-01-01", "2027-12-31",
     [_indicator("hasil_panen_ton", "Hasil panen kelompok tani per triwulan", "ton", 4, 8),
      _indicator("penjualan_luar_kota", "Penjualan ke luar kota per triwulan", "juta rupiah",
                 38, 150)]),
    (P_GIZI, DINKES, [PKK, YPA], "01-10 11:00",
     "Edukasi gizi melalui posyandu",
     "Kelas gizi bagi ibu balita, penyegaran kader dan pengukuran serentak di posyandu untuk "
     "menurunkan stunting.",
     "2025-07-01", "2027-06-30",
     [_indicator("balita_stunting", "Balita stunting", "persen", 17.8, 14, "decrease", "mean"),
      _indicator("balita_ditimbang", "Balita ditimbang tiap bulan", "persen", 71.4, 90,
                 areas="mean")]),
    (P_SEKOLAH, DISDIK, [KARTA, YPA], "01-10 13:00",
     "Anak tetap sekolah",
     "Pendataan anak tidak sekolah dari rumah ke rumah, rumah belajar relawan dan "
     "pendampingan agar anak usia 16–18 tahun kembali dan tetap bersekolah.",
     "2025-07-01", "2027-12-31",
     [_indicator("anak_bersekolah", "Anak usia 16–18 tahun bersekolah", "persen", 81.5, 90,
                 areas="mean"),
      _indicator("anak_tidak_sekolah", "Anak tidak sekolah", "anak", 212, 100, "decrease"),
      _indicator("peserta_rumah_belajar", "Peserta rumah belajar", "anak", 0, 40)]),
]


# ---------------------------------------------------------------- indicators
QUARTERS = [("2025-Q3", "01-20"), ("2025-Q4", "01-21"), ("2026-Q1", "04-10"),
            ("2026-Q2", "07-10"), ("2026-Q3", "10-09")]

# (program, reporting node, indicator, unit, values per QUARTERS, notes by period, hour)
INDICATORS: list[tuple[str, str, str, str, list[float], dict[str, str], str]] = [
    (P_PEREMPUAN, DINSOS, "perempuan_dilatih", "orang", [20, 24, 0, 46, 20],
     {"2025-Q3": "Data awal dari pelatihan keterampilan 2025.",
      "2026-Q1": "Belum ada pelatihan; persiapan angkatan April.",
      "2026-Q2": "Dua angkatan pelatihan menjahit.",
      "2026-Q3": "Satu angkatan pelatihan tata boga."}, "09:00"),
    (P_PEREMPUAN, DINSOS, "usaha_rumahan_dibuka", "usaha", [5, 7, 3, 11, 13],
     {"2026-Q3": "Delapan usaha katering dan lima usaha jahit baru."}, "09:10"),
    (P_TANI, DINKOP, "hasil_panen_ton", "ton", [3.8, 4.1, 2.9, 6.2, 7.9],
     {"2026-Q1": "Curah hujan tinggi, panen cabai turun.",
      "2026-Q2": "Panen pertama setelah dana bergulir."}, "10:00"),
    (P_TANI, DINKOP, "penjualan_luar_kota", "juta rupiah", [35, 41, 28, 96, 142],
     {"2026-Q3": "Termasuk pasokan rutin ke tiga pembeli di Manado."}, "10:10"),
    (P_GIZI, DINKES, "balita_stunting", "persen", [17.8, 17.2, 16.5, 15.4, 14.3],
     {"2025-Q4": "Hasil pengukuran serentak posyandu.",
      "2026-Q2": "Setelah penyegaran kader; pengukuran lebih akurat."}, "11:00"),
    (P_GIZI, DINKES, "balita_ditimbang", "persen", [71.4, 73.9, 77.2, 82.6, 85.1], {}, "11:10"),
    (P_SEKOLAH, DISDIK, "anak_bersekolah", "persen", [81.5, 81.9, 82.4, 83.0, 84.6],
     {"2025-Q3": "Angka partisipasi sekolah usia 16–18 tahun, Kecamatan Madidir."}, "13:00"),
]

# other period formats: a year and months
EXTRA_INDICATORS = [
    (P_SEKOLAH, DISDIK, "anak_tidak_sekolah", "anak", "2025", 212, "01-22 13:00",
     "Perkiraan dari Dapodik dan data kelurahan."),
    (P_SEKOLAH, DISDIK, "anak_tidak_sekolah", "anak", "2026-Q3", 187, "10-09 13:10",
     "Hasil pendataan dari rumah ke rumah, Juli–Agustus 2026."),
    (P_SEKOLAH, KARTA, "peserta_rumah_belajar", "anak", "2026-08", 24, "09-02 19:00", None),
    (P_SEKOLAH, KARTA, "peserta_rumah_belajar", "anak", "2026-09", 31, "10-02 19:00", None),
    (P_SEKOLAH, KARTA, "peserta_rumah_belajar", "anak", "2026-10", 37, "11-03 19:00",
     "Rata-rata kehadiran per pertemuan 19 anak."),
]

# reports by kelurahan, from partner nodes (the city figure of the period is reported too)
AREA_INDICATORS: list[tuple[str, str, str, str, str, str, dict[str, float]]] = [
    (P_PEREMPUAN, PKK, "perempuan_dilatih", "orang", "2026-Q2", "07-11 10:00",
     {"Kelurahan Bitung Tengah": 18, "Kelurahan Pakadoodan": 16, "Kelurahan Madidir Ure": 12}),
    (P_PEREMPUAN, PKK, "perempuan_dilatih", "orang", "2026-Q3", "10-10 10:00",
     {"Kelurahan Bitung Tengah": 8, "Kelurahan Pakadoodan": 12}),
    (P_GIZI, PKK, "balita_stunting", "persen", "2026-Q3", "10-10 11:00",
     {"Kelurahan Bitung Tengah": 12.9, "Kelurahan Girian Bawah": 13.9,
      "Kelurahan Aertembaga Satu": 16.1}),
]


# ------------------------------------------------------------------ building
class Builder:
    def __init__(self) -> None:
        self.files: dict[str, list[tuple[str, int, Event]]] = {}
        self.counts: Counter[tuple[str, str]] = Counter()
        self.seq = 0

    def emit(self, file: str, type_: str, subject: str, node: str, when: str,
             data: dict[str, Any], version: int = 1) -> None:
        full_type = f"gotong.{type_}.v{version}"
        self.counts[(full_type, subject)] += 1
        name = f"{full_type}/{subject}/{self.counts[(full_type, subject)]}"
        event: Event = cloud_event(full_type, node=node, subject=subject,
                                   data={k: v for k, v in data.items() if v is not None},
                                   event_id=str(uuid.uuid5(NAMESPACE, name)), time=at(when))
        self.seq += 1
        self.files.setdefault(file, []).append((event["time"], self.seq, event))

    def ordered(self) -> dict[str, list[Event]]:
        """Each file in time order (ties keep build order, so creation comes first)."""
        return {
            name: [e for _, _, e in sorted(rows, key=lambda r: (dt.datetime.fromisoformat(r[0]), r[1]))]
            for name, rows in sorted(self.files.items())
        }


def build() -> dict[str, list[Event]]:
    b = Builder()
    for emit in (_nodes_and_forums, _proposals, _meetings, _action_items, _indicators):
        emit(b)
    return b.ordered()


def _nodes_and_forums(b: Builder) -> None:
    for node, name, kind, when, description, contact in NODES:
        b.emit("01-nodes.ndjson", "node.registered", node, node, when,
               {"name": name, "kind": kind, "description": description, "contact": contact})

    for fid, node, when, title, description, area, program in FORUMS:
        b.emit("02-forums.ndjson", "forum.opened", fid, node, when,
               {"title": title, "description": description, "area": area, "program": program})


def _proposals(b: Builder) -> None:
    for p in PROPOSALS:
        f, pid = "03-proposals.ndjson", p["id"]
        b.emit(f, "proposal.submitted", pid, p["node"], p["at"], {
            "forum_id": p["forum"], "title": p["title"], "body": p["body"], "author": p["author"],
            "tags": p["tags"], "program": FORUM_PROGRAM[p["forum"]], "location": p["location"],
            "budget_estimate": p["budget"],
        })
        short = pid.removeprefix("usulan-")
        comment_ids = [f"k-{short}-{i + 1:02d}" for i in range(len(p["comments"]))]
        for cid, c in zip(comment_ids, p["comments"], strict=True):
            b.emit(f, "proposal.commented", pid, c["node"], c["at"], {
                "comment_id": cid, "body": c["body"], "author": c["author"],
                "in_reply_to": None if c["reply"] is None else comment_ids[c["reply"]],
            })
        for e in p["endorsements"]:
            b.emit(f, "proposal.endorsed", pid, e["node"], e["at"],
                   {"endorser": e["endorser"], "note": e["note"]})
        for s in p["statuses"]:
            # a status comes from the node that convened the forum; its author withdraws
            author_withdraws = s["status"] == "withdrawn" and s["node"] == p["node"]
            node = s["node"] if author_withdraws else FORUM_CONVENER[p["forum"]]
            b.emit(f, "proposal.status_changed", pid, node, s["at"],
                   {"status": s["status"], "reason": s["reason"]})


def _meetings(b: Builder) -> None:
    for m in MEETINGS:
        f = "04-meetings.ndjson"
        b.emit(f, "meeting.scheduled", m["id"], m["node"], m["at"], {
            "forum_id": m["forum"], "title": m["title"], "starts_at": m["starts_at"],
            "location": m["location"], "agenda": m["agenda"],
        })
        if m["minutes"]:
            mn = m["minutes"]
            b.emit(f, "meeting.minutes_published", m["id"], m["node"], mn["at"], {
                "attendees": mn["attendees"], "decisions": mn["decisions"], "summary": mn["summary"],
            })


def _action_items(b: Builder) -> None:
    for a in ACTION_ITEMS:
        f, aid = "05-action-items.ndjson", a["id"]
        b.emit(f, "action_item.created", aid, a["node"], a["at"], {
            "title": a["title"], "owner_node_id": a["owner"], "due_date": a["due"],
            "description": a["description"], "meeting_id": a["meeting"],
            "proposal_id": PID[a["proposal"]] if a["proposal"] else None,
        })
        for entry in a["log"]:
            if entry["kind"] == "progress":
                evidence = f"{EVIDENCE}/{aid}/{entry['evidence']}" if entry["evidence"] else None
                b.emit(f, "action_item.progress_reported", aid, entry["node"], entry["at"],
                       {"percent": entry["percent"], "note": entry["note"], "evidence_url": evidence})
            elif entry["kind"] == "status":
                b.emit(f, "action_item.status_changed", aid, entry["node"], entry["at"],
                       {"status": entry["status"], "reason": entry["reason"]})
            else:
                b.emit(f, "action_item.reassigned", aid, entry["node"], entry["at"],
                       {"owner_node_id": entry["owner"], "reason": entry["reason"]})


def _indicators(b: Builder) -> None:
    f = "06-indicators.ndjson"
    for program, lead, partners, when, name, summary, starts, ends, indicators in PROGRAMS:
        b.emit("01-programs.ndjson", "program.defined", program, lead, when, {
            "name": name, "summary": summary, "lead_node_id": lead,
            "partner_node_ids": partners, "starts_on": starts, "ends_on": ends,
            "indicators": indicators})
    for program, node, indicator, unit, values, notes, hour in INDICATORS:
        for (period, day), value in zip(QUARTERS, values, strict=True):
            b.emit(f, "indicator.reported", program, node, f"{day} {hour}", {
                "indicator": indicator, "value": value, "period": period, "unit": unit,
                "note": notes.get(period),
            })
    for program, node, indicator, unit, period, value, when, note in EXTRA_INDICATORS:
        b.emit(f, "indicator.reported", program, node, when,
               {"indicator": indicator, "value": value, "period": period, "unit": unit, "note": note})
    for program, node, indicator, unit, period, when, by_area in AREA_INDICATORS:
        for area, value in by_area.items():
            b.emit(f, "indicator.reported", program, node, when, {
                "indicator": indicator, "value": value, "period": period, "unit": unit,
                "area": area}, version=2)


# ------------------------------------------------------------------ checking
def check(files: dict[str, list[Event]]) -> list[str]:
    """Everything wrong with the demo events (an empty list when they are fine)."""
    checker = _Checker()
    for file, events in files.items():
        for n, ev in enumerate(events, 1):
            checker.event(ev, f"{file}:{n}", events)
    return checker.problems


class _Checker:
    """The demo's events against their schemas and against each other, in file order."""

    CREATORS = {"node.registered": "node", "forum.opened": "forum",
                "proposal.submitted": "proposal", "meeting.scheduled": "meeting",
                "action_item.created": "action_item", "program.defined": "program"}

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.validators: dict[str, Any] = {}
        self.anchor = dt.datetime.combine(ANCHOR_DATE, dt.time(),
                                          dt.timezone(dt.timedelta(hours=8)))
        self.start = self.anchor.replace(month=1, day=1)
        self.ids: set[str] = set()
        self.programs: dict[str, dict[str, Any]] = {}  # defined so far
        self.created: dict[tuple[str, str], dt.datetime] = {}  # (aggregate, id) -> its time
        self.comments: dict[str, dt.datetime] = {}

    def validate(self, name: str, instance: Any, where: str) -> None:
        import fastjsonschema  # a runtime dependency; only needed here

        if name not in self.validators:
            path = SCHEMA_DIR / f"{name}.json"
            if not path.exists():
                self.problems.append(f"{where}: no schema {path.name}")
                return
            self.validators[name] = fastjsonschema.compile(
                json.loads(path.read_text(encoding="utf-8")))
        try:
            self.validators[name](instance)
        except fastjsonschema.JsonSchemaValueException as exc:
            self.problems.append(f"{where}: {name}: {exc.message}")

    def exists(self, kind: str, ident: str | None, when: dt.datetime, where: str) -> None:
        if ident is not None and (kind, ident) not in self.created:
            self.problems.append(f"{where}: unknown {kind} {ident!r}")
        elif ident is not None and self.created[(kind, ident)] > when:
            self.problems.append(f"{where}: refers to {kind} {ident!r} created later")

    def event(self, ev: Event, where: str, events: list[Event]) -> None:
        self.validate("envelope", ev, where)
        self.validate(ev["type"], ev["data"], where)
        if ev["id"] in self.ids:
            self.problems.append(f"{where}: duplicate id {ev['id']}")
        self.ids.add(ev["id"])
        when = dt.datetime.fromisoformat(ev["time"])
        if not self.start <= when < self.anchor:
            self.problems.append(
                f"{where}: time {ev['time']} outside {self.start.date()}..{ANCHOR_DATE}")
        short = ev["type"].removeprefix("gotong.").rsplit(".", 1)[0]
        aggregate = aggregate_of(ev["type"])
        node = ev["source"].removeprefix("/nodes/")
        if short in self.CREATORS:
            self.created.setdefault((aggregate, ev["subject"]), when)
        self.exists(aggregate, ev["subject"], when, where)
        if short == "node.registered":
            if node != ev["subject"]:
                self.problems.append(f"{where}: a node registers itself")
        else:
            self.exists("node", node, when, where)
        self.references(ev["data"], when, where)
        self.kind_rules(short, ev, when, where, events)

    def references(self, data: dict[str, Any], when: dt.datetime, where: str) -> None:
        self.exists("forum", data.get("forum_id"), when, where)
        self.exists("proposal", data.get("proposal_id"), when, where)
        self.exists("meeting", data.get("meeting_id"), when, where)
        self.exists("program", data.get("program"), when, where)
        self.exists("node", data.get("owner_node_id"), when, where)
        for attendee in data.get("attendees", []):
            self.exists("node", attendee.get("node_id"), when, where)
        for decision in data.get("decisions", []):
            self.exists("proposal", decision.get("proposal_id"), when, where)

    def kind_rules(self, short: str, ev: Event, when: dt.datetime, where: str,
                   events: list[Event]) -> None:
        data = ev["data"]
        if short == "proposal.commented":
            if data["comment_id"] in self.comments:
                self.problems.append(f"{where}: duplicate comment_id {data['comment_id']}")
            reply = data.get("in_reply_to")
            if reply is not None and not (reply in self.comments
                                          and self.comments[reply] <= when):
                self.problems.append(f"{where}: in_reply_to {reply!r} is not an earlier comment")
            self.comments[data["comment_id"]] = when
        if short == "meeting.minutes_published":
            starts = next(e["data"]["starts_at"] for e in events
                          if e["type"] == MEETING_SCHEDULED and e["subject"] == ev["subject"])
            if dt.datetime.fromisoformat(starts) > when:
                self.problems.append(f"{where}: minutes before the meeting started")
        if short == "program.defined":
            self.programs[ev["subject"]] = {**data, "indicators": [
                i["id"] for i in data["indicators"]]}
            for node in (data["lead_node_id"], *data.get("partner_node_ids", ())):
                self.exists("node", node, when, where)
        if short == "indicator.reported":
            self.reported(ev, data, where)

    def reported(self, ev: Event, data: dict[str, Any], where: str) -> None:
        program = self.programs.get(ev["subject"])
        if program is None:
            return  # exists() said so
        node = ev["source"].removeprefix("/nodes/")
        if node not in (program["lead_node_id"], *program.get("partner_node_ids", ())):
            self.problems.append(f"{where}: {node} is not a lead or partner of {ev['subject']}")
        if data["indicator"] not in program["indicators"]:
            self.problems.append(f"{where}: {ev['subject']} defines no {data['indicator']!r}")


def render(events: list[Event]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in events)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the data files differ from the output")
    args = parser.parse_args(argv)
    files = build()
    problems = check(files)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    stale = []
    for name, events in files.items():
        path = DATA_DIR / name
        text = render(events)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
    if args.check and stale:
        print(f"stale demo data (run python -m services.demo.build_data): {', '.join(stale)}",
              file=sys.stderr)
        return 1
    total = sum(len(e) for e in files.values())
    print(f"{'checked' if args.check else 'wrote'} {total} events in {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
