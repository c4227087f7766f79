"""The build: run the image build on CodeBuild with sm-docker's interface and none of its
defects (docs/sm-docker.md), and keep a record of each build on disk."""
