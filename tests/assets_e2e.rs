//! Uploaded files and thumbnails: published and synced like pages, before
//! the pages that use them, and removed everywhere with their asset.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::site::{TestSite, files_under, fixture, mt_entry};
use support::{SshServer, assert_trees_equal, serialize_test};

fn upload(site: &TestSite, args: &[&str], files: &[&Path]) -> String {
    let mut all: Vec<&str> = vec!["upload"];
    all.extend_from_slice(args);
    all.push("--");
    let names: Vec<String> = files.iter().map(|f| f.to_str().unwrap().to_string()).collect();
    all.extend(names.iter().map(String::as_str));
    site.ok(&all)
}

fn decoded_size(path: &Path) -> (u32, u32) {
    image::ImageReader::open(path).unwrap().with_guessed_format().unwrap().into_dimensions().unwrap()
}

#[test]
fn every_fixture_image_is_published_with_thumbnails() {
    let Some(dir) = fixture("images") else { return };
    let site = TestSite::new("ThumbnailSizes 120 480");
    let target = site.path("www");
    site.configure(&format!("SyncTarget {}\n", target.display()));
    let mut files: Vec<PathBuf> = fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    files.retain(|f| f.extension().is_some_and(|e| e != "md"));
    files.sort();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    upload(&site, &["--folder", "img"], &refs);

    let output = site.run(&["run-periodic-tasks", "--verbose"]);
    let report = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "the truncated JPEG's thumbnails must fail:\n{report}");
    assert!(report.contains("pillow__truncated_jpeg.jpg: corrupt or truncated"), "{report}");

    for file in &files {
        let name = file.file_name().unwrap().to_str().unwrap();
        let published = site.root.join("img").join(name);
        assert_eq!(fs::read(&published).unwrap(), fs::read(file).unwrap(), "{name} not published as uploaded");
        let (stem, extension) = name.rsplit_once('.').unwrap();
        let thumbs: Vec<String> = files_under(&site.root.join("img"))
            .into_iter()
            .filter(|f| f.starts_with(&format!("{stem}-thumb-")) && f.ends_with(&format!(".{extension}")))
            .collect();
        if name == "pillow__truncated_jpeg.jpg" {
            assert!(thumbs.is_empty(), "a thumbnail of a truncated file was published: {thumbs:?}");
            continue;
        }
        assert!(!thumbs.is_empty(), "no thumbnails for {name}");
        let (width, height) = decoded_size(file);
        for thumb in &thumbs {
            let (w, h) = decoded_size(&site.root.join("img").join(thumb));
            assert!(w <= 480, "{thumb} is {w}x{h}");
            assert!(h <= height.max(width), "{thumb} is {w}x{h}");
            assert!(
                thumb.ends_with(&format!("-thumb-{w}x{h}.{}", thumb.rsplit('.').next().unwrap())),
                "{thumb} name does not match {w}x{h}"
            );
        }
    }
    // The EXIF orientation is applied: this portrait photo is stored sideways.
    let portrait: Vec<String> = files_under(&site.root.join("img"))
        .into_iter()
        .filter(|f| f.starts_with("exif-orientation-examples__Portrait_6-thumb-"))
        .collect();
    for thumb in portrait {
        let (w, h) = decoded_size(&site.root.join("img").join(&thumb));
        assert!(h > w, "{thumb} is not upright");
    }
    assert_trees_equal(&site.root, &site.copy_in(&target));

    // The failed thumbnail is not retried on the next run.
    let output = site.run(&["run-periodic-tasks", "--verbose"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(site.ok(&["status"]).contains("Queue: 0 jobs"));
}

#[test]
fn hostile_upload_names_arrive_byte_identical() {
    let Some(photo) = fixture("images/movabletype__test.png") else { return };
    let _serial = serialize_test();
    let site = TestSite::new("ThumbnailSizes 64");
    let local = site.path("www1");
    let remote = site.path("www2");
    let ssh = SshServer::new().expect("start sshd");
    ssh.grant_write(&remote).unwrap();
    site.configure(&format!(
        "SyncTarget {}\nSyncTarget {}\nRsyncOptions {}\n",
        local.display(),
        ssh.target(&remote),
        ssh.rsync_options()
    ));
    let names = [
        "photo[1].png",
        "a*b.png",
        "what?.png",
        "back`tick.png",
        "100%.png",
        "caf\u{e9}.png",
        "cafe\u{301}.png",
        "two  spaces.png",
        "-dash-first.png",
        "line\nbreak.png",
        "back\\slash.png",
        "hash\\#012x.png",
    ];
    let sources = site.path("sources");
    let mut files = Vec::new();
    for name in names {
        let file = sources.join(name);
        fs::copy(&photo, &file).unwrap();
        files.push(file);
    }
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    upload(&site, &[], &refs);
    let report = site.run_tasks();
    assert!(report.contains("files sent"), "{report}");

    let published = files_under(&site.root.join("assets"));
    for name in names {
        assert!(published.iter().any(|f| f == name), "{name:?} not published; have {published:?}");
        let stem = name.strip_suffix(".png").unwrap();
        assert!(published.iter().any(|f| f.starts_with(&format!("{stem}-thumb-"))), "no thumbnail for {name:?}");
    }
    assert_eq!(published.len(), names.len() * 2, "NFC and NFD names must be two files each: {published:?}");
    assert_trees_equal(&site.root, &site.copy_in(&local));
    assert_trees_equal(&site.root, &site.copy_in(&remote));
}

#[test]
fn oversized_upload_and_decompression_bomb_are_rejected() {
    let site = TestSite::new("MaxUploadSize 1K");
    let big = site.dir.path().join("big.bin");
    fs::write(&big, vec![7u8; 4096]).unwrap();
    let output = site.run(&["upload", big.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("big.bin"), "{stderr}");
    assert!(stderr.contains("MaxUploadSize"), "{stderr}");

    // A valid PNG header that declares 100000 × 100000 pixels.
    let bomb = site.dir.path().join("bomb.png");
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    let ihdr = [100_000u32.to_be_bytes(), 100_000u32.to_be_bytes()].concat();
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&ihdr);
    chunk.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&chunk[4..]);
    png.extend_from_slice(&crc32(&chunk).to_be_bytes());
    for (name, data) in [(&b"IDAT"[..], &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01][..]), (b"IEND", &[])] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut chunk = name.to_vec();
        chunk.extend_from_slice(data);
        png.extend_from_slice(&chunk);
        png.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    fs::write(&bomb, &png).unwrap();
    let site = TestSite::new("");
    let output = site.run(&["upload", bomb.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bomb.png"), "{stderr}");
    assert!(stderr.contains("100000"), "{stderr}");
    assert!(site.ok(&["asset", "list"]).is_empty());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn deleting_an_asset_removes_it_and_its_thumbnails_everywhere() {
    let Some(photo) = fixture("images/movabletype__test.jpg") else { return };
    let site = TestSite::new("ThumbnailSizes 100");
    let (www1, www2) = (site.path("www1"), site.path("www2"));
    site.configure(&format!("SyncTarget {}\nSyncTarget {}\n", www1.display(), www2.display()));
    site.import_mt(&mt_entry("Gallery", "gallery", "05/03/2024 10:00:00 AM", "", "Pictures."));
    upload(&site, &["--entry", "gallery"], &[&photo]);
    site.run_tasks();
    let page = site.read("2024/05/gallery.html").unwrap();
    assert!(page.contains("movabletype__test-thumb-480x360.jpg"), "the entry page does not show the thumbnail");
    for target in [&www1, &www2] {
        assert!(site.copy_in(target).join("assets/movabletype__test-thumb-100x75.jpg").exists());
    }

    site.ok(&["asset", "delete", "assets/movabletype__test.jpg"]);
    site.run_tasks();
    assert!(!site.root.join("assets").exists(), "asset files left in the site root");
    assert!(!site.read("2024/05/gallery.html").unwrap().contains("movabletype__test"), "page still shows the image");
    for target in [&www1, &www2] {
        assert!(!site.copy_in(target).join("assets").exists(), "asset files left on {}", target.display());
        assert_trees_equal(&site.root, &site.copy_in(target));
    }
}

#[test]
fn identical_reupload_changes_nothing() {
    let Some(photo) = fixture("images/movabletype__test.gif") else { return };
    let site = TestSite::new("");
    upload(&site, &[], &[&photo]);
    site.run_tasks();
    let again = upload(&site, &[], &[&photo]);
    assert!(again.contains("(unchanged)"), "{again}");
    assert!(again.contains("0 files queued"), "{again}");
    let other = site.dir.path().join("movabletype__test.gif");
    let mut changed = fs::read(&photo).unwrap();
    changed.push(0);
    fs::write(&other, changed).unwrap();
    let renamed = upload(&site, &[], &[&other]);
    assert!(renamed.contains("assets/movabletype__test_1.gif"), "a taken name must get a suffix: {renamed}");
}

#[test]
fn imported_attachments_wait_for_their_files() {
    let (Some(wxr), Some(png)) =
        (fixture("wxr/google-blog-converters__wordpress.2.xml"), fixture("images/movabletype__test.png"))
    else {
        return;
    };
    let site = TestSite::new("");
    let report = site.ok(&["import", "--format", "wxr", wxr.to_str().unwrap()]);
    assert!(report.contains("without file: 1 asset"), "{report}");
    let listing = site.ok(&["asset", "list"]);
    assert!(listing.contains("files/2008/05/android_cardback.png"), "{listing}");
    assert!(listing.contains("(no file yet)"), "{listing}");
    site.run_tasks();
    assert!(!site.exists("files/2008/05/android_cardback.png"));

    site.ok(&["upload", "--replace", "files/2008/05/android_cardback.png", png.to_str().unwrap()]);
    site.run_tasks();
    assert_eq!(fs::read(site.root.join("files/2008/05/android_cardback.png")).unwrap(), fs::read(&png).unwrap());
}

#[test]
fn movable_type_image_references_become_assets() {
    let site = TestSite::new("");
    let body = r#"<p>Look: <img src="http://old.example.com/images/cat.jpg" alt="cat"></p>"#;
    site.import_mt(&mt_entry("Cat", "cat", "05/03/2024 10:00:00 AM", "", body));
    let listing = site.ok(&["asset", "list"]);
    assert!(listing.contains("images/cat.jpg"), "{listing}");
    assert!(listing.contains("(no file yet)"), "{listing}");
}

#[test]
fn page_never_goes_live_before_its_images() {
    let Some(dir) = fixture("images") else { return };
    // The entry page requests 480-pixel thumbnails that the config does
    // not make, so they get their jobs only when the page is rendered.
    let site = TestSite::new("ThumbnailSizes 120");
    let target = site.path("www");
    site.configure(&format!("SyncTarget {}\nRsyncOptions --bwlimit=300\n", target.display()));
    site.import_mt(&mt_entry("Photos", "photos", "05/03/2024 10:00:00 AM", "", "Three photos."));
    let photos: Vec<PathBuf> = [
        "exif-orientation-examples__Landscape_1.jpg",
        "exif-orientation-examples__Landscape_6.jpg",
        "exif-orientation-examples__Portrait_6.jpg",
    ]
    .iter()
    .map(|name| dir.join(name))
    .collect();
    let refs: Vec<&Path> = photos.iter().map(PathBuf::as_path).collect();
    upload(&site, &["--entry", "photos"], &refs);

    let mut runner = site.command(&["run-periodic-tasks"]).spawn().unwrap();
    let copy = site.copy_in(&target);
    let page = copy.join("2024/05/photos.html");
    let started = Instant::now();
    while runner.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(120) {
        if page.exists() {
            let images = files_under(&copy.join("assets"));
            assert_eq!(images.len(), 9, "the page went live before its images: {images:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(runner.wait().unwrap().success());
    assert!(page.exists());
    assert!(started.elapsed() > Duration::from_secs(2), "the link was not throttled enough to test the order");
    assert_trees_equal(&site.root, &copy);
}
